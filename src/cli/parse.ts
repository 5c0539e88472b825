import { usageError } from '../domain/errors.js';
import { parseUtc } from '../domain/time.js';
import { parseDurationMs } from '../domain/config.js';

/** Shared parsing of flag values into typed options; bad values are usage errors (exit 2). */

export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.length ? items : undefined;
}

export function parseTimeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseUtc(value);
  } catch (err) {
    throw usageError(`--${name}: ${(err as Error).message}`);
  }
}

export function parseDurationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDurationMs(value);
  } catch (err) {
    throw usageError(`--${name}: ${(err as Error).message}`);
  }
}
