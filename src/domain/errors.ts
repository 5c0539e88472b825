/**
 * Error kinds of perpkit and the exit codes they map to (../shared/DESIGN.md, "Commands and output").
 * Services throw PerpkitError; commands turn it into an exit code and a message (or a JSON document).
 */
export const EXIT_CODES = {
  ok: 0,
  bug: 1,
  usage: 2,
  validation: 3,
  missing: 4,
  upstream: 5,
  interrupted: 130,
} as const;

export type ErrorKind = Exclude<keyof typeof EXIT_CODES, 'ok'>;

export interface PerpkitErrorOptions {
  /** What the user can do next, e.g. the command to run first. */
  hint?: string;
  /** Structured details for --json consumers (dataset, column, value, counts...). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class PerpkitError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options: PerpkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PerpkitError';
    this.kind = kind;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

export const usageError = (message: string, options?: PerpkitErrorOptions): PerpkitError =>
  new PerpkitError('usage', message, options);
export const validationError = (message: string, options?: PerpkitErrorOptions): PerpkitError =>
  new PerpkitError('validation', message, options);
export const missingError = (message: string, options?: PerpkitErrorOptions): PerpkitError =>
  new PerpkitError('missing', message, options);
export const upstreamError = (message: string, options?: PerpkitErrorOptions): PerpkitError =>
  new PerpkitError('upstream', message, options);
export const interruptedError = (message = 'interrupted'): PerpkitError =>
  new PerpkitError('interrupted', message);

export function isPerpkitError(err: unknown): err is PerpkitError {
  return err instanceof PerpkitError;
}
