import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { VENUE_STATIC } from '../domain/config.js';
import { binanceInstrument } from './venues/binance.js';
import { timeframeSeconds } from '../domain/datasets.js';

/**
 * The Binance candle and funding CSVs as downloaded by freqtrade (../shared/data/binance-candles):
 *   spot/<BASE>_USDT-<tf>.csv.gz                      -> bars, venue binance-spot, symbol <BASE>-SPOT, price last
 *   usdm/<BASE>_USDT_USDT-<tf>-futures.csv.gz          -> bars, venue binance-usdm, symbol <BASE>-PERP, price last
 *   usdm/<BASE>_USDT_USDT-<tf>-mark.csv.gz             -> bars, venue binance-usdm, symbol <BASE>-PERP, price mark
 *   usdm/<BASE>_USDT_USDT-8h-funding_rate.csv.gz       -> funding, venue binance-usdm, symbol <BASE>-PERP
 * Pure mapping from a file name to what it holds; reading is SQL (queries/import/).
 */
export type CandleFile =
  | { kind: 'bars'; path: string; venue: 'binance-usdm' | 'binance-spot'; symbol: string; base: string; price: 'last' | 'mark'; timeframe: string }
  | { kind: 'funding'; path: string; venue: 'binance-usdm'; symbol: string; base: string; interval_hours: number };

const SPOT_RE = /^([A-Z0-9]+)_USDT-(\d+[mhd])\.csv(\.gz)?$/;
const PERP_RE = /^([A-Z0-9]+)_USDT_USDT-(\d+[mhd])-(futures|mark|funding_rate)\.csv(\.gz)?$/;

export function classifyCandleFile(path: string): CandleFile | null {
  const name = basename(path);
  let m = SPOT_RE.exec(name);
  if (m) {
    const [, base, tf] = m as unknown as [string, string, string];
    if (!isKnownTimeframe(tf)) return null;
    return { kind: 'bars', path, venue: 'binance-spot', symbol: `${base}-SPOT`, base, price: 'last', timeframe: tf };
  }
  m = PERP_RE.exec(name);
  if (m) {
    const [, base, tf, what] = m as unknown as [string, string, string, string];
    if (what === 'funding_rate') {
      return {
        kind: 'funding',
        path,
        venue: 'binance-usdm',
        symbol: `${base}-PERP`,
        base,
        interval_hours: VENUE_STATIC['binance-usdm'].funding_interval_hours,
      };
    }
    if (!isKnownTimeframe(tf)) return null;
    return { kind: 'bars', path, venue: 'binance-usdm', symbol: `${base}-PERP`, base, price: what === 'mark' ? 'mark' : 'last', timeframe: tf };
  }
  return null;
}

function isKnownTimeframe(tf: string): boolean {
  try {
    timeframeSeconds(tf);
    return true;
  } catch {
    return false;
  }
}

/** Every file under a folder (or the file itself), sorted, with what it holds or null if unknown. */
export function scanCandleFiles(path: string): Array<{ path: string; file: CandleFile | null }> {
  const out: Array<{ path: string; file: CandleFile | null }> = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) if (!e.startsWith('.')) walk(join(p, e));
    } else {
      out.push({ path: p, file: classifyCandleFile(p) });
    }
  };
  walk(path);
  return out;
}

/** Instrument rows for the symbols seen in an import: perps linked to their spot reference. */
export function binanceInstrumentRows(
  files: CandleFile[],
  ingestTime: number,
): Array<Record<string, unknown>> {
  const seen = new Map<string, CandleFile>();
  for (const f of files) seen.set(`${f.venue}/${f.symbol}`, f);
  const rows: Array<Record<string, unknown>> = [];
  for (const f of [...seen.values()].sort((a, b) => `${a.venue}/${a.symbol}`.localeCompare(`${b.venue}/${b.symbol}`))) {
    rows.push({
      ...binanceInstrument(f.venue, f.symbol, f.base),
      // Static metadata known for the whole history: valid from the epoch on.
      event_time: 0,
      available_time: 0,
      source: 'perpkit-static:binance',
      ingest_time: ingestTime,
    });
  }
  return rows;
}
