import type { DuckSession } from '../store/duckdb.js';

/** Where a service reports progress and warnings. Never stdout: stdout carries data only. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** A progress line; shown only when stderr is a TTY and not --quiet. */
  progress(message: string): void;
  /** Ends a progress line (clears it on a TTY). */
  progressDone(): void;
}

/** The clock services read, so tests can pin "now". Epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** What every service receives besides its options. */
export interface ServiceContext {
  db: DuckSession;
  log: Logger;
  clock: Clock;
  signal: AbortSignal;
}

export const systemClock: Clock = { now: () => Date.now() };

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  progress: () => undefined,
  progressDone: () => undefined,
};
