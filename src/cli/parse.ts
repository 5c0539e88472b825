import { usageError, type PerpkitError } from '../domain/errors.js';
import { parseUtc, isoFromMicros } from '../domain/time.js';
import { parseDurationMs } from '../domain/config.js';
import { BAR_TIMEFRAMES, isSlug } from '../domain/datasets.js';
import { TIME_BOUNDS } from '../domain/defaults.js';

/**
 * Every flag value is parsed here, one way, into typed options. A bad value is a usage error
 * (exit 2) in one style: `--<flag> must be <what is accepted>, got "<value>"`, with the flag, the
 * value and the accepted range in `details` for --json consumers. Commands never call Number() or
 * split(',') on a flag themselves.
 */

/** The one error of this module: names the flag, the bad value and what is accepted. */
export function badFlag(flag: string, value: unknown, accepted: string, hint?: string): PerpkitError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return usageError(`--${flag} must be ${accepted}, got ${shown}`, {
    hint: hint ?? `see "--help" for what --${flag} takes`,
    details: { flag, value, accepted },
  });
}

export interface NumberRange {
  /** smallest accepted value (inclusive unless minExclusive) */
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  integer?: boolean;
}

/** "in [0, 1)", "> 0", "an integer >= 2"... */
export function describeRange(r: NumberRange): string {
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.min !== undefined && r.max !== undefined) {
    return `${kind} in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
  }
  if (r.min !== undefined) return `${kind} ${r.minExclusive ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return `${kind} ${r.maxExclusive ? '<' : '<='} ${r.max}`;
  return kind;
}

/** A decimal number (no hex, no "Infinity", no empty string) within a range. */
export function parseNumber(flag: string, value: string | undefined, range: NumberRange = {}): number | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  const ok =
    Number.isFinite(v) &&
    (!range.integer || Number.isSafeInteger(v)) &&
    (range.min === undefined || (range.minExclusive ? v > range.min : v >= range.min)) &&
    (range.max === undefined || (range.maxExclusive ? v < range.max : v <= range.max));
  if (!ok) throw badFlag(flag, value, describeRange(range));
  return v;
}

export const parseInteger = (flag: string, value: string | undefined, range: Omit<NumberRange, 'integer'> = {}): number | undefined =>
  parseNumber(flag, value, { ...range, integer: true });

/** A fraction in [0, 1] (or (0, 1) with open: true, as a confidence level). */
export function parseFraction(flag: string, value: string | undefined, open = false): number | undefined {
  return parseNumber(flag, value, { min: 0, max: 1, minExclusive: open, maxExclusive: open });
}

/** A duration (500ms, 2s, 1m, 1h, 1d) in milliseconds; zero only with allowZero. */
export function parseDuration(
  flag: string,
  value: string | undefined,
  opts: { allowZero?: boolean; maxMs?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const accepted = `a duration${opts.allowZero ? '' : ' longer than 0'} such as 500ms, 2s, 1m, 1h or 1d${
    opts.maxMs !== undefined ? ` (at most ${opts.maxMs / 1000}s)` : ''
  }`;
  let ms: number;
  try {
    ms = parseDurationMs(value);
  } catch {
    throw badFlag(flag, value, accepted);
  }
  if ((!opts.allowZero && ms <= 0) || (opts.maxMs !== undefined && ms > opts.maxMs)) throw badFlag(flag, value, accepted);
  return ms;
}

/** A bar timeframe that perpkit knows (1m, 3m, 5m, 15m, 30m, 1h, ..., 1d). */
export function parseTimeframe(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  if (BAR_TIMEFRAMES[t] === undefined) throw badFlag(flag, value, `one of ${Object.keys(BAR_TIMEFRAMES).join(', ')}`);
  return t;
}

/** A UTC time (2026-03-14 or 2026-03-14T12:00:00Z) within perpkit's plausible range, in epoch µs. */
export function parseTime(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const accepted = `a UTC time from ${TIME_BOUNDS.min_iso} to before ${TIME_BOUNDS.max_iso}, such as 2026-03-14 or 2026-03-14T12:00:00Z`;
  let us: number;
  try {
    us = parseUtc(value);
  } catch {
    throw badFlag(flag, value, accepted);
  }
  if (us < parseUtc(TIME_BOUNDS.min_iso) || us >= parseUtc(TIME_BOUNDS.max_iso)) throw badFlag(flag, value, accepted);
  return us;
}

/** --from and --to together: each a valid time, and from < to when both are given. */
export function parseTimeRange(
  from: string | undefined,
  to: string | undefined,
  names: { from: string; to: string } = { from: 'from', to: 'to' },
): { from?: number; to?: number } {
  const f = parseTime(names.from, from);
  const t = parseTime(names.to, to);
  if (f !== undefined && t !== undefined && f >= t) {
    throw usageError(`--${names.from} must be before --${names.to}, got --${names.from} ${isoFromMicros(f)} and --${names.to} ${isoFromMicros(t)}`, {
      hint: `the range is ${names.from} <= time < ${names.to}; swap them or widen the range`,
      details: { flag: names.from, value: from, other: to, accepted: `a time before --${names.to}` },
    });
  }
  return { ...(f !== undefined ? { from: f } : {}), ...(t !== undefined ? { to: t } : {}) };
}

/**
 * A comma-separated list. An empty list ("" or ",") is an error, never "all": leave the flag out
 * for the default. Items are trimmed and de-duplicated in order; with `allowed`, each must be one.
 */
export function parseList(value: string | undefined, flag?: string, allowed?: readonly string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const items: string[] = [];
  for (const s of value.split(',').map((x) => x.trim())) if (s.length > 0 && !items.includes(s)) items.push(s);
  const accepted = allowed ? `a comma-separated list of ${allowed.join(', ')}` : 'a non-empty comma-separated list';
  if (items.length === 0) {
    if (flag) throw badFlag(flag, value, accepted, `leave --${flag} out for its default`);
    throw usageError(`an empty list was given (${JSON.stringify(value)}); give at least one value, or leave the flag out for its default`);
  }
  if (allowed) {
    const bad = items.filter((i) => !allowed.includes(i));
    if (bad.length) throw badFlag(flag ?? 'list', bad.join(','), accepted);
  }
  return items;
}

/**
 * Symbols or base assets: a non-empty list of safe names (letters, digits, - _ .; no "..", no "/"),
 * so a symbol can never become a path.
 */
export function parseSymbols(flag: string, value: string | undefined): string[] | undefined {
  const items = parseList(value, flag);
  if (!items) return undefined;
  for (const s of items) {
    if (!isSlug(s)) {
      throw badFlag(flag, s, 'symbols such as BTC-PERP,ETH-SPOT or base assets such as BTC,ETH (letters, digits, - _ . only)');
    }
  }
  return items;
}

/** Kept for callers outside src/cli: a time flag (same rules as parseTime). */
export function parseTimeFlag(name: string, value: string | undefined): number | undefined {
  return parseTime(name, value);
}

/** Kept for callers outside src/cli: a duration flag > 0 (same rules as parseDuration). */
export function parseDurationFlag(name: string, value: string | undefined): number | undefined {
  return parseDuration(name, value);
}
