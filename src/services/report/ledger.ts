import type { ServiceContext } from '../../domain/context.js';
import { datasetFiles, listOf } from '../../store/dataset.js';
import { runQuery } from '../../store/queries.js';
import { ledgerSpec } from '../../store/ledger.js';

/** What the report reads from the trial ledger. */
export interface LedgerSummary {
  /** every evaluation row */
  evaluations: number;
  /**
   * strategy trials the Deflated Sharpe deflates by: one per backtest evaluation, plus each
   * optimisation's own count (detail.trials, else 1)
   */
  trials: number;
  /** research cells tested, summed over research runs (detail.trials) */
  research_cells: number;
  /** unsealings of the split's test segment (when a split is given; else of every split) */
  unseals: number;
  /** annualised Sharpe ratios the backtest and optimisation trials recorded (detail.sharpe) */
  sharpes: number[];
}

interface Row {
  kind: string;
  command: string;
  split_name: string | null;
  detail: string | null;
}

function parse(s: string | null): Record<string, unknown> {
  if (!s) return {};
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Summarises the ledger under `root`; `split` narrows the unsealing count to that split. */
export async function ledgerSummary(ctx: ServiceContext, root: string, split: string | null): Promise<LedgerSummary> {
  const out: LedgerSummary = { evaluations: 0, trials: 0, research_cells: 0, unseals: 0, sharpes: [] };
  const files = await datasetFiles(root, ledgerSpec());
  if (files.length === 0) return out;
  const rows = (await runQuery(ctx.db, 'report/ledger_rows', { files: listOf(files) })) as unknown as Row[];
  for (const r of rows) {
    if (r.kind === 'unseal' && (split === null || r.split_name === split)) out.unseals++;
    if (r.kind !== 'evaluation') continue;
    out.evaluations++;
    const d = parse(r.detail);
    if (r.command === 'research') {
      out.research_cells += Number(d['trials'] ?? 0) || 0;
      continue;
    }
    if (r.command === 'backtest' || r.command === 'optimize') {
      const t = Number(d['trials']);
      out.trials += r.command === 'optimize' && Number.isFinite(t) && t > 0 ? t : 1;
      const s = d['sharpe'];
      if (typeof s === 'number' && Number.isFinite(s)) out.sharpes.push(s);
    }
  }
  return out;
}
