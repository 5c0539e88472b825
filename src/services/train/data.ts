import type { ServiceContext } from '../../domain/context.js';
import { missingError, usageError } from '../../domain/errors.js';
import { execQuery, readQuery, runQuery } from '../../store/queries.js';
import { release, tempName } from '../../store/read.js';
import { listOf } from '../../store/dataset.js';
import { loadSplit, newLook, parseSelector, readSegment, type SplitFile } from '../split.js';
import type { Panel } from './walkforward.js';

/**
 * Reads the rows a training run may see: the features and labels of the chosen segments of a
 * split (services/split.ts readSegment: the split's scope and intervals, the sealed test segment
 * only with unseal_test, recorded in the ledger), joined on (symbol, decision time) for one label
 * horizon, into an in-memory panel sorted by decision time then symbol.
 */

export interface PanelRequest {
  root: string;
  split: string;
  /** segments joined by +, e.g. train+validation */
  segments: string[];
  features: string[];
  horizon: string;
  unseal_test?: boolean;
  command: string;
  args: unknown;
}

export interface LoadedPanel {
  panel: Panel;
  split: SplitFile;
  /** content hashes of the inputs the split recorded (the data hash of the model id) */
  data_hashes: Record<string, string>;
  /** features absent from the features dataset (kept as all-missing columns) */
  absent: string[];
  repeated_look: boolean;
}

export function parseSegments(text: string): string[] {
  const parts = text.split('+').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw usageError(`bad --segment ${JSON.stringify(text)}`, { hint: 'use train, validation, train+validation (or test with --unseal-test)' });
  for (const p of parts) parseSelector(p);
  return [...new Set(parts)];
}

export async function loadPanel(o: PanelRequest, ctx: ServiceContext): Promise<LoadedPanel> {
  const split = loadSplit(o.root, o.split);
  if (!split.horizons.includes(o.horizon)) {
    throw missingError(`split ${o.split} has no label horizon ${o.horizon} (it has ${split.horizons.join(', ') || 'none'})`, {
      hint: `build the labels with "perpkit features --labels --horizons ${o.horizon}" and re-create the split, or pick --label fwd_return_${split.horizons[0] ?? '1h'}`,
    });
  }
  const featTables: string[] = [];
  const labelTables: string[] = [];
  const own: string[] = [];
  let repeated = false;
  // one look at a sealed test segment: its features and labels reads record one unsealing
  const look = newLook();
  try {
    for (const seg of o.segments) {
      const selector = parseSelector(seg);
      const common = { root: o.root, name: o.split, selector, unseal_test: o.unseal_test ?? false, command: o.command, args: o.args, look, flags: { allow_changed: null } };
      const f = await readSegment({ ...common, dataset: 'features' }, ctx);
      featTables.push(f.table);
      const l = await readSegment({ ...common, dataset: 'labels' }, ctx);
      labelTables.push(l.table);
      repeated ||= f.repeated_look || l.repeated_look;
    }
    const cols = (await runQuery(ctx.db, 'common/columns', {}, { idents: { t: featTables[0]! } })).map((r) => String(r['column_name']));
    const absent = o.features.filter((f) => !cols.includes(f));
    const present = o.features.filter((f) => cols.includes(f));
    // One features table and one labels table over the segments read (the panel query joins them).
    const feat = tempName('train_feat');
    const lab = tempName('train_lab');
    own.push(feat, lab);
    for (const [i, t] of featTables.entries()) {
      await execQuery(ctx.db, i === 0 ? 'train/panel_features' : 'train/panel_features_append', {}, { idents: { t: feat, src: t }, lists: { cols: ['symbol', 'event_time', ...present] } });
    }
    for (const [i, t] of labelTables.entries()) {
      await execQuery(ctx.db, i === 0 ? 'train/panel_labels' : 'train/panel_labels_append', {}, { idents: { t: lab, src: t } });
    }
    const shape = { idents: { feat, lab }, lists: { feats: ['__pad', ...present] } };
    // Column-wise read (a row object per decision is slow), columns by name.
    const reader = await readQuery(ctx.db, 'train/panel', { syms: listOf(split.symbols), h: o.horizon }, shape);
    const c = reader.getColumnsObjectJS() as Record<string, number[]>;
    const n = (c['__s'] ?? []).length;
    if (n === 0) throw missingError(`no feature rows in segments ${o.segments.join('+')} of split ${o.split}`, { hint: 'rebuild the features for the split range' });
    const col = (name: string): Float64Array => Float64Array.from(c[name] ?? []);
    const byName = new Map(present.map((f) => [f, col(f)]));
    const panel: Panel = {
      symbols: [...split.symbols],
      time: col('__t'),
      sym: Int32Array.from(c['__s'] ?? []),
      features: [...o.features],
      cols: o.features.map((f) => byName.get(f) ?? new Float64Array(n).fill(NaN)),
      ret: col('__r'),
      label_end: col('__e'),
      label_avail: col('__a'),
    };
    const data_hashes = Object.fromEntries(Object.entries(split.inputs).map(([k, v]) => [k, v.hash]));
    return { panel, split, data_hashes, absent, repeated_look: repeated };
  } finally {
    for (const t of [...featTables, ...labelTables]) await release(ctx, t);
    for (const t of own) await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t } });
  }
}
