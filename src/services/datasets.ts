import { existsSync } from 'node:fs';
import type { ServiceContext } from '../domain/context.js';
import { DATASETS, DATASET_NAMES, type DatasetSpec } from '../domain/datasets.js';
import { derivedSpecs } from '../domain/features.js';
import { predictionsSpec } from './train/predictions.js';
import { researchSpec } from '../domain/research.js';
import { ledgerSpec } from '../store/ledger.js';
import { missingError, usageError } from '../domain/errors.js';
import { datasetFiles, listOf, type ReadFilter } from '../store/dataset.js';
import { runQuery } from '../store/queries.js';

export interface DatasetsOptions {
  root: string;
  datasets?: string[];
  venue?: string[];
  symbols?: string[];
}

/** One stored series: a dataset, venue, symbol (and price type and timeframe for bars). */
export interface DatasetSummaryRow {
  dataset: string;
  venue: string;
  symbol: string;
  price: string | null;
  timeframe: string | null;
  first_event_time: string;
  last_event_time: string;
  first_available_time: string;
  last_available_time: string;
  rows: number;
  partitions: number;
  /** largest available_time - event_time, milliseconds */
  max_delay_ms: number;
}

export interface DatasetsResult {
  data_dir: string;
  datasets: DatasetSummaryRow[];
}

export async function summarizeDatasets(opts: DatasetsOptions, ctx: ServiceContext): Promise<DatasetsResult> {
  const specs: DatasetSpec[] = [...DATASET_NAMES.map((n) => DATASETS[n]), ...derivedSpecs(), predictionsSpec(), researchSpec(), ledgerSpec()];
  const known = specs.map((s) => String(s.name));
  const names = opts.datasets ?? known;
  for (const n of names) {
    if (!known.includes(n)) throw usageError(`unknown dataset ${JSON.stringify(n)}`, { hint: `known datasets: ${known.join(', ')}` });
  }
  if (!existsSync(opts.root)) {
    throw missingError(`data dir ${opts.root} does not exist`, {
      hint: 'run "perpkit fetch --source sample" to load the bundled sample, or pass --data-dir',
    });
  }
  const filter: ReadFilter = {
    ...(opts.venue ? { venue: opts.venue } : {}),
    ...(opts.symbols ? { symbol: opts.symbols } : {}),
  };
  const out: DatasetSummaryRow[] = [];
  for (const name of names) {
    const spec = specs.find((s) => s.name === name) as DatasetSpec;
    const files = await datasetFiles(opts.root, spec, filter);
    if (files.length === 0) continue;
    const rows = spec.partitionKeys.includes('symbol')
      ? await runQuery(ctx.db, 'store/summary', { files: listOf(files), bars: spec.partitionKeys.includes('timeframe') })
      : await runQuery(ctx.db, 'store/summary_unkeyed', { files: listOf(files) });
    for (const r of rows) {
      out.push({
        dataset: name,
        venue: (r['venue'] as string | null) ?? '',
        symbol: (r['symbol'] as string | null) ?? '',
        price: (r['price'] as string | null) ?? null,
        timeframe: (r['timeframe'] as string | null) ?? null,
        first_event_time: String(r['first_event_time']),
        last_event_time: String(r['last_event_time']),
        first_available_time: String(r['first_available_time']),
        last_available_time: String(r['last_available_time']),
        rows: Number(r['rows']),
        partitions: Number(r['partitions']),
        max_delay_ms: Number(r['max_delay_ms']),
      });
    }
  }
  if (out.length === 0 && (opts.venue || opts.symbols)) {
    // A filter that matches nothing stored is a mistake worth naming, unless nothing is stored at all.
    const stored = { venue: new Set<string>(), symbol: new Set<string>() };
    for (const name of names) {
      for (const f of await datasetFiles(opts.root, specs.find((s) => s.name === name) as DatasetSpec)) {
        const v = /venue=([^/]+)/.exec(f)?.[1];
        const sym = /symbol=([^/]+)/.exec(f)?.[1];
        if (v) stored.venue.add(v);
        if (sym) stored.symbol.add(sym);
      }
    }
    if (stored.venue.size || stored.symbol.size) {
      const flag = opts.venue && !opts.venue.some((v) => stored.venue.has(v)) ? 'venue' : 'symbols';
      const have = [...(flag === 'venue' ? stored.venue : stored.symbol)].sort();
      const given = (flag === 'venue' ? opts.venue : opts.symbols) ?? [];
      throw usageError(`--${flag} ${given.join(',')} matches nothing stored under ${opts.root}`, {
        hint: `stored ${flag === 'venue' ? 'venues' : 'symbols'}: ${have.join(', ')}`,
        details: { flag, value: given, accepted: have },
      });
    }
  }
  return { data_dir: opts.root, datasets: out };
}
