/** Time helpers. perpkit's JS times are integer microseconds since the epoch, UTC. */

export const US_PER_MS = 1000;

/**
 * Parses a UTC date or timestamp given on the command line ("2026-03-14", "2026-03-14T12:00",
 * "2026-03-14T12:00:00Z") into epoch microseconds. A time without a zone is taken as UTC; an
 * explicit offset other than Z is honoured.
 */
export function parseUtc(text: string): number {
  const t = text.trim();
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t)
    ? `${t}T00:00:00Z`
    : /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t)
      ? `${t.replace(' ', 'T')}Z`
      : t;
  const ms = Date.parse(iso);
  // Date.parse rolls 2026-02-30 over into March: the calendar date must come back as written.
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(t);
  const sameDay = ymd !== null && !Number.isNaN(ms) && (/[+-]\d{2}:?\d{2}$|Z$/i.test(t) && !/^\d{4}-\d{2}-\d{2}$/.test(t) ? true : new Date(ms).toISOString().slice(0, 10) === ymd.slice(1, 4).join('-'));
  if (!/^\d{4}-\d{2}-\d{2}/.test(t) || Number.isNaN(ms) || !sameDay || Number(ymd?.[3]) > 31 || Number(ymd?.[2]) > 12) {
    throw new Error(`bad time ${JSON.stringify(text)}; use UTC ISO-8601 such as 2026-03-14 or 2026-03-14T12:00:00Z`);
  }
  return ms * US_PER_MS;
}

/** Epoch microseconds -> ISO-8601 UTC with milliseconds. */
export function isoFromMicros(us: number): string {
  return new Date(Math.floor(us / US_PER_MS)).toISOString();
}
