import { Flags } from '@oclif/core';
import { BAR_TIMEFRAMES } from '../domain/datasets.js';
import { TIME_BOUNDS } from '../domain/defaults.js';

/**
 * Flags shared by several commands, defined once so that a flag means one thing everywhere
 * (../shared/DESIGN.md). Values are strings here and parsed in src/cli/parse.ts, one way.
 */

/** Root of the datasets; every command has it. */
export const dataDirFlag = Flags.string({
  description: 'Root of the datasets. Default: $PERPKIT_DATA_DIR, else ./data.',
  helpGroup: 'GLOBAL',
});

/** stdout is one JSON document; a failure is {"error": {...}} with the same exit code. */
export const jsonFlag = Flags.boolean({
  description: 'Print one JSON document on stdout (errors as {"error": {...}}), nothing else.',
  default: false,
  helpGroup: 'GLOBAL',
});

export const quietFlag = Flags.boolean({
  description: 'Print no progress or info on stderr (warnings and errors still go there).',
  default: false,
  helpGroup: 'GLOBAL',
});

/** Flags every perpkit command has. */
export const globalFlags = { 'data-dir': dataDirFlag, json: jsonFlag, quiet: quietFlag };

/** --symbols: symbols (BTC-PERP) or base assets (BTC); an empty list is an error, never "all". */
export const symbolsFlag = (what: string, opts: { required?: boolean } = {}) =>
  Flags.string({
    description: `Comma-separated symbols (BTC-PERP,BTC-SPOT) or base assets (BTC = every BTC symbol). ${what}`,
    helpValue: 'A,B',
    ...(opts.required ? { required: true as const } : {}),
  });

const timeText = `UTC: 2026-03-14 or 2026-03-14T12:00:00Z, from ${TIME_BOUNDS.min_iso} to before ${TIME_BOUNDS.max_iso}`;

/** --from / --to: from <= time < to, and from before to. */
export const fromFlag = (what = 'Keep rows with event_time >= this time.') => Flags.string({ description: `${what} ${timeText}.` });
export const toFlag = (what = 'Keep rows with event_time < this time.') => Flags.string({ description: `${what} ${timeText}.` });

/** --timeframe: one of the bar timeframes perpkit knows. */
export const timeframeFlag = (what: string) =>
  Flags.string({ description: `${what} One of ${Object.keys(BAR_TIMEFRAMES).join(', ')}.` });
