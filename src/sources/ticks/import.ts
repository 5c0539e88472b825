import { relative } from 'node:path';
import type { ServiceContext } from '../../domain/context.js';
import { DATASETS, type DatasetName } from '../../domain/datasets.js';
import type { WriteResult } from '../../store/dataset.js';
import { binanceTickInstrumentRows, BinanceTickMapper, readLines, type BinanceTickFile, type BinanceTickStats } from './binance-raw.js';
import { RowStage, type Row } from '../../store/stage.js';
import { TardisMapper, type TardisKind, type TardisStats } from './tardis.js';

/** A tick file found by `fetch --source files`. */
export type TickFile = ({ format: 'binance-raw' } & BinanceTickFile) | { format: 'tardis'; path: string; kind: TardisKind };

export interface TickFileReport {
  path: string;
  format: 'binance-raw' | 'tardis';
  /** binance-raw: venue/symbol of the file; tardis: those seen in it */
  instruments: Array<{ venue: string; symbol: string }>;
  /** lines read (messages for binance-raw, data lines for tardis) */
  lines: number;
  rows: Partial<Record<DatasetName, number>>;
  binance?: Omit<BinanceTickStats, 'gaps'> & { gaps: BinanceTickStats['gaps'] };
  tardis?: TardisStats;
  elapsed_ms: number;
}

/** What a tick import staged: the fetch service writes the stages (sources never write to the store). */
export interface TickStaged {
  files: TickFileReport[];
  /** non-empty stages, one per dataset, to be written (writeStaged) */
  staged: RowStage[];
  /** lines of all files / seconds spent reading and mapping them (the writes excluded) */
  messages_per_s: number;
  /** performance.now() when the import started */
  started_ms: number;
}

export interface TickImportResult {
  files: TickFileReport[];
  writes: WriteResult[];
  /** lines of all files / seconds spent reading and mapping them (the writes excluded) */
  messages_per_s: number;
  /** lines / total seconds including the writes */
  messages_per_s_total: number;
}

export interface TickImportOptions {
  root: string;
  files: TickFile[];
  /** folder the lineage paths are relative to */
  base: string;
  from?: number;
  to?: number;
  symbols?: (symbol: string) => boolean;
  /** Binance recordings: receive-clock correction, µs (default BINANCE_TICKS_CLOCK_OFFSET_US) */
  clock_offset_us?: number;
}

/** Rows buffered in JS before they go to the DuckDB stage (bounds memory on big files). */
const CHUNK_ROWS = 50_000;

const TICK_DATASETS = ['trades', 'quotes', 'book', 'derivative_ticker'] as const;
type TickDataset = (typeof TICK_DATASETS)[number];

/**
 * Reads Binance raw-stream recordings and Tardis CSVs: every file is streamed and mapped, rows are
 * staged in DuckDB, one stage per dataset. The fetch service then writes each dataset once
 * (validated, merged, atomic): an import either lands whole or not at all.
 */
export async function importTickFiles(opts: TickImportOptions, ctx: ServiceContext): Promise<TickStaged> {
  const started = performance.now();
  const ingest = ctx.clock.now() * 1000;
  const stages = Object.fromEntries(TICK_DATASETS.map((d) => [d, new RowStage(ctx.db, DATASETS[d], `__ticks_${d}`)])) as Record<
    TickDataset,
    RowStage
  >;
  const reports: TickFileReport[] = [];
  const binanceFiles: BinanceTickFile[] = [];
  let lines = 0;
  let done = false;
  let mapMs = 0;
  try {
    for (const f of opts.files) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const t0 = performance.now();
      const source = `${f.format === 'tardis' ? 'tardis' : 'binance-ticks'}:${relative(opts.base, f.path) || f.path}`;
      const counts: Partial<Record<DatasetName, number>> = {};
      const flush = async (rows: Partial<Record<TickDataset, Row[]>>): Promise<void> => {
        for (const d of TICK_DATASETS) {
          const r = rows[d];
          if (!r || r.length === 0) continue;
          counts[d] = (counts[d] ?? 0) + r.length;
          await stages[d].append(r);
          r.length = 0;
        }
      };
      ctx.log.progress(`reading ${f.path}`);
      let report: TickFileReport;
      if (f.format === 'binance-raw') {
        const m = new BinanceTickMapper({
          file: f,
          source,
          ingest_time: ingest,
          ...(opts.clock_offset_us !== undefined ? { clock_offset_us: opts.clock_offset_us } : {}),
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
        });
        let pending = 0;
        for await (const line of readLines(f.path)) {
          m.line(line);
          if (++pending >= 5_000) {
            pending = 0;
            if (m.out.book.length + m.out.trades.length + m.out.quotes.length >= CHUNK_ROWS) await flush(m.out);
            if (ctx.signal.aborted) throw ctx.signal.reason;
          }
        }
        await flush(m.out);
        binanceFiles.push(f);
        report = {
          path: f.path,
          format: 'binance-raw',
          instruments: [{ venue: f.venue, symbol: f.symbol }],
          lines: m.stats.lines,
          rows: counts,
          binance: m.stats,
          elapsed_ms: 0,
        };
        if (m.stats.gaps.length) {
          ctx.log.warn(
            `${f.path}: depth sequence broken ${m.stats.gaps.length} time(s) (first at update id ${m.stats.gaps[0]?.update_id}, expected ${m.stats.gaps[0]?.expected}); gap rows written, the book is not rebuilt past a gap until a new snapshot`,
          );
        }
        if (m.stats.malformed) ctx.log.warn(`${f.path}: ${m.stats.malformed} malformed line(s) not imported`);
        if (m.stats.clock_clamped) ctx.log.warn(`${f.path}: ${m.stats.clock_clamped} row(s) received before their exchange time after the clock correction; available_time raised to event_time`);
      } else {
        const m = new TardisMapper(f.kind, {
          source,
          ingest_time: ingest,
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
          ...(opts.symbols ? { symbols: opts.symbols } : {}),
        });
        let pending = 0;
        for await (const line of readLines(f.path)) {
          m.line(line);
          if (++pending >= 5_000) {
            pending = 0;
            await flush(m.out);
            if (ctx.signal.aborted) throw ctx.signal.reason;
          }
        }
        await flush(m.out);
        report = {
          path: f.path,
          format: 'tardis',
          instruments: [...m.seen.values()].map((i) => ({ venue: i.venue, symbol: i.symbol })),
          lines: m.stats.lines,
          rows: counts,
          tardis: m.stats,
          elapsed_ms: 0,
        };
        if (m.stats.malformed) ctx.log.warn(`${f.path}: ${m.stats.malformed} malformed line(s) not imported`);
        if (m.stats.unconverted) {
          ctx.log.warn(`${f.path}: ${m.stats.unconverted} row(s) of an instrument whose contract size perpkit does not know: sizes (or open interest) not imported`);
        }
      }
      report.elapsed_ms = performance.now() - t0;
      mapMs += report.elapsed_ms;
      lines += report.lines;
      reports.push(report);
    }
    ctx.log.progressDone();
    const staged = TICK_DATASETS.filter((d) => stages[d].rows > 0).map((d) => stages[d]);
    if (binanceFiles.length) {
      const inst = new RowStage(ctx.db, DATASETS.instruments, '__ticks_instruments');
      await inst.append(binanceTickInstrumentRows(binanceFiles, ingest));
      staged.push(inst);
    }
    done = true;
    return {
      files: reports,
      staged,
      messages_per_s: mapMs > 0 ? lines / (mapMs / 1000) : 0,
      started_ms: started,
    };
  } finally {
    // on failure nothing stays staged; on success the caller writes (and so empties) the stages
    if (!done) for (const s of Object.values(stages)) await s.discard().catch(() => undefined);
  }
}
