import type { ServiceContext } from '../../domain/context.js';
import { PerpkitError } from '../../domain/errors.js';
import { featuresSpec } from '../../domain/features.js';
import type { ResearchConfig, ResearchTarget } from '../../domain/research.js';
import { datasetFiles } from '../../store/dataset.js';
import type { CellResult } from './cells.js';
import { featureCells, gridOf, type HorizonJob } from './grid-pool.js';
import { loadPanels, relativePanel, type EvalSegment, type SegmentRead } from './panel.js';

/**
 * The venue-robustness check of lead-lag hypotheses (proposal 000, default question 3): the same
 * test on a second venue's data. The second venue's features and labels are read over the split's
 * own intervals (the same segment, buffers and sealing), and each (feature, horizon) of the
 * hypotheses that need it gets its pooled cell (regime "all") there; the verdict compares the
 * run's best cell with the same cell on the second venue.
 */

/** The other venues with features at the timeframe in the data dir, sorted. */
export async function otherVenues(root: string, venue: string, timeframe: string): Promise<string[]> {
  const files = await datasetFiles(root, featuresSpec(), { timeframe: [timeframe] });
  return [...new Set(files.map((f) => /venue=([^/\\]+)/.exec(f)?.[1] ?? ''))].filter((v) => v && v !== venue).sort();
}

export interface SecondVenue {
  venue: string;
  /** pooled cells (regime_dim "all") of the second venue; empty when it could not be read */
  cells: CellResult[];
  rows: number;
  /** why the second venue could not be tested (no features or labels in the split's scope there) */
  error?: string;
  /** --segment folds-test: the folds the venue has data for (it is tested on those) */
  folds?: number[];
}

export interface SecondVenueOptions {
  root: string;
  split: string;
  segment: EvalSegment;
  venue: string;
  /** per target the run's specs name: the features whose cells are compared, and the run's config for it (its baseline stack) */
  targets: Array<{ target: ResearchTarget; features: string[]; cfg: ResearchConfig }>;
  /** the point-in-time stress measure the cells read besides (the run's config) */
  stress_feature: string;
  /** the run's horizons with their Newey-West lags */
  horizons: HorizonJob[];
  read: SegmentRead;
}

export async function secondVenueCells(o: SecondVenueOptions, ctx: ServiceContext): Promise<SecondVenue> {
  // one read of the venue for every target (o.read carries the run's look at a sealed segment: no second unsealing)
  const needed = [...new Set(o.targets.flatMap((t) => [...t.features, ...t.cfg.baseline_features]).concat(o.stress_feature))];
  let loaded: Awaited<ReturnType<typeof loadPanels>>;
  try {
    loaded = await loadPanels({ root: o.root, split: o.split, segment: o.segment, features: needed, horizons: o.horizons.map((h) => h.horizon), read: { ...o.read, venue: o.venue }, relative: o.targets.some((t) => t.target === 'relative') }, ctx);
  } catch (err) {
    // nothing of the second venue to test (no features, labels or horizons there): the check says so
    if (err instanceof PerpkitError && err.kind === 'missing') return { venue: o.venue, cells: [], rows: 0, error: err.message };
    throw err;
  }
  // the pooled cells only (no regime dimensions), of the run's own horizons (those the second venue has labels for)
  const stored = new Set(loaded.horizons.map((h) => h.horizon));
  const horizons = o.horizons.filter((h) => stored.has(h.horizon));
  const cells = o.targets.flatMap(({ target, features, cfg }) => {
    const grid = gridOf({ panel: target === 'relative' ? relativePanel(loaded.panel) : loaded.panel, train: loaded.train, dims: [], cfg });
    const got = features.flatMap((f) => featureCells(grid, [], cfg, f, horizons).filter((c) => c.regime_dim === 'all'));
    for (const c of got) c.target = target;
    return got;
  });
  return { venue: o.venue, cells, rows: loaded.panel.rows, ...(loaded.folds ? { folds: loaded.folds } : {}) };
}

/** What the venue check reads of a venue's cell (verdicts.venueCheck), as the run records it. */
export type VenueCell = Pick<CellResult, 'feature' | 'horizon' | 'target' | 'regime_dim' | 'regime_cell' | 'status' | 'ic' | 't_nw' | 'p_value' | 'effective_n'>;

/** The venue-robustness inputs of a run, as recorded in its ledger row (the report judges with them). */
export interface RecordedVenues {
  others: string[];
  tested: Array<{ venue: string; rows: number; error?: string; folds?: number[]; cells: VenueCell[] }>;
}

export function recordVenues(others: readonly string[], tested: readonly SecondVenue[]): RecordedVenues {
  return {
    others: [...others],
    tested: tested.map((t) => ({
      venue: t.venue,
      rows: t.rows,
      ...(t.error !== undefined ? { error: t.error } : {}),
      ...(t.folds !== undefined ? { folds: t.folds } : {}),
      cells: t.cells.map((c) => ({ feature: c.feature, horizon: c.horizon, target: c.target, regime_dim: c.regime_dim, regime_cell: c.regime_cell, status: c.status, ic: c.ic, t_nw: c.t_nw, p_value: c.p_value, effective_n: c.effective_n })),
    })),
  };
}
