import type { ServiceContext } from '../../domain/context.js';
import { missingError, usageError } from '../../domain/errors.js';
import { quoteIdent } from '../../store/duckdb.js';
import { release } from '../../store/read.js';
import { listOf } from '../../store/dataset.js';
import { loadSplit, parseSelector, readSegment, type SplitFile } from '../split.js';
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
  let repeated = false;
  try {
    for (const seg of o.segments) {
      const selector = parseSelector(seg);
      const common = { root: o.root, name: o.split, selector, unseal_test: o.unseal_test ?? false, command: o.command, args: o.args };
      const f = await readSegment({ ...common, dataset: 'features' }, ctx);
      featTables.push(f.table);
      const l = await readSegment({ ...common, dataset: 'labels' }, ctx);
      labelTables.push(l.table);
      repeated ||= f.repeated_look || l.repeated_look;
    }
    const cols = (await ctx.db.all(`SELECT column_name FROM (DESCRIBE ${quoteIdent(featTables[0]!)})`)).map((r) => String(r['column_name']));
    const absent = o.features.filter((f) => !cols.includes(f));
    const present = o.features.filter((f) => cols.includes(f));
    const union = (ts: string[], select: string): string => ts.map((t) => `SELECT ${select} FROM ${quoteIdent(t)}`).join(' UNION ALL ');
    const fsel = ['symbol', 'event_time', ...present.map(quoteIdent)].join(', ');
    const sql = `
      WITH f AS (${union(featTables, fsel)}),
           l AS (${union(labelTables, 'symbol, event_time, horizon, fwd_return, label_end_time, available_time')})
      SELECT list_position($syms, f.symbol)::INTEGER - 1 AS s, epoch_us(f.event_time)::DOUBLE AS t,
             coalesce(l.fwd_return, 'NaN'::DOUBLE) AS r,
             coalesce(epoch_us(l.label_end_time)::DOUBLE, 'NaN'::DOUBLE) AS e,
             coalesce(epoch_us(l.available_time)::DOUBLE, 'NaN'::DOUBLE) AS a
             ${present.map((c) => `, coalesce(f.${quoteIdent(c)}::DOUBLE, 'NaN'::DOUBLE)`).join('')}
      FROM f LEFT JOIN l ON l.symbol = f.symbol AND l.event_time = f.event_time AND l.horizon = $h
      WHERE list_contains($syms, f.symbol)
      ORDER BY f.event_time, s`;
    const reader = await ctx.db.conn.runAndReadAll(sql, { syms: listOf(split.symbols), h: o.horizon });
    const c = reader.getColumnsJS() as number[][];
    const n = (c[0] ?? []).length;
    if (n === 0) throw missingError(`no feature rows in segments ${o.segments.join('+')} of split ${o.split}`, { hint: 'rebuild the features for the split range' });
    const col = (i: number): Float64Array => Float64Array.from(c[i] ?? []);
    const byName = new Map(present.map((f, k) => [f, col(5 + k)]));
    const panel: Panel = {
      symbols: [...split.symbols],
      time: col(1),
      sym: Int32Array.from(c[0] ?? []),
      features: [...o.features],
      cols: o.features.map((f) => byName.get(f) ?? new Float64Array(n).fill(NaN)),
      ret: col(2),
      label_end: col(3),
      label_avail: col(4),
    };
    const data_hashes = Object.fromEntries(Object.entries(split.inputs).map(([k, v]) => [k, v.hash]));
    return { panel, split, data_hashes, absent, repeated_look: repeated };
  } finally {
    for (const t of [...featTables, ...labelTables]) await release(ctx, t);
  }
}
