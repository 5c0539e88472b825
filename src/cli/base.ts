import { Command, Errors, type Interfaces } from '@oclif/core';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { globalFlags } from './flags.js';
import { EXIT_CODES, PerpkitError, isPerpkitError, interruptedError, usageError } from '../domain/errors.js';
import { classifyError } from './error-map.js';
import { systemClock, type ServiceContext } from '../domain/context.js';
import { DuckSession } from '../store/duckdb.js';
import { stderrLogger } from './logger.js';

/** Flags every perpkit command has, with one meaning everywhere (defined in ./flags.ts). */
export const sharedFlags = globalFlags;

export type SharedFlags = Interfaces.InferredFlags<typeof sharedFlags>;


/**
 * Base of every perpkit command: shared flags, the error-to-exit-code mapping (also under --json,
 * which oclif's own JSON mode does not do), SIGINT/SIGTERM handling and the service context.
 * Subclasses implement `execute` and `present`.
 */
export abstract class PerpkitCommand<R = unknown> extends Command {
  static baseFlags = sharedFlags;
  /**
   * How long a command gets to wind down after the first Ctrl-C/SIGTERM before it is ended with
   * 130 (a second signal ends it at once). Writes are atomic, so ending early loses no stored data;
   * commands that flush buffered data on a signal (record) get longer.
   */
  static interruptGraceMs = 5000;
  // perpkit prints its own JSON (see run/catch); oclif's --json handling is off.
  static enableJsonFlag = false;

  protected jsonMode = false;
  protected quiet = false;
  private abort = new AbortController();
  private session: DuckSession | undefined;
  private signalHandlers: Array<[NodeJS.Signals, () => void]> = [];

  /** Does the work; returns the result printed by `present` (or as JSON). */
  protected abstract execute(): Promise<R>;

  /** Prints a human-readable result on stdout. */
  protected abstract present(result: R): void;

  async run(): Promise<void> {
    // Parse the shared flags early so errors in the command's own flags still honour --json.
    this.jsonMode = this.argv.includes('--json');
    this.quiet = this.argv.includes('--quiet');
    this.installSignalHandlers();
    // --data-dir means the same everywhere, so it is checked the same everywhere, even by the
    // commands that do not read it (a file given as the data dir is a mistake worth naming).
    const dd = dataDirArg(this.argv);
    if (dd !== undefined) this.dataDir(dd);
    const result = await this.execute();
    if (this.jsonMode) process.stdout.write(`${JSON.stringify(result, jsonReplacer)}\n`);
    else this.present(result);
    process.exitCode = EXIT_CODES.ok;
  }

  /** Resolved data dir: --data-dir, else PERPKIT_DATA_DIR, else ./data. */
  protected dataDir(flag: string | undefined): string {
    const env = process.env['PERPKIT_DATA_DIR'];
    const given = flag ?? (env && env.length > 0 ? env : 'data');
    if (given.trim() === '') throw usageError('--data-dir must be a folder, got ""', { hint: 'leave --data-dir out for $PERPKIT_DATA_DIR or ./data' });
    const dir = resolve(given);
    const st = statOrNull(dir);
    if (st && !st.isDirectory()) {
      throw usageError(`the data dir ${dir} is a file, not a folder`, {
        hint: `give --data-dir a folder (it is created when missing), or move ${dir} away`,
        details: { flag: 'data-dir', value: dir },
      });
    }
    if (!st) {
      // Not there yet: a file on the way to it means it can never be created.
      let up = dirname(dir);
      while (!statOrNull(up) && dirname(up) !== up) up = dirname(up);
      const ust = statOrNull(up);
      if (ust && !ust.isDirectory()) {
        throw usageError(`the data dir ${dir} cannot exist: ${up} is a file, not a folder`, {
          hint: 'give --data-dir a folder path',
          details: { flag: 'data-dir', value: dir },
        });
      }
    }
    return dir;
  }

  /**
   * The data dir of a command that writes: as dataDir, and it (or the folder it will be created
   * in) must be writable, checked before any work is done.
   */
  protected writableDataDir(flag: string | undefined): string {
    const dir = this.dataDir(flag);
    let probe = dir;
    while (!statOrNull(probe) && dirname(probe) !== probe) probe = dirname(probe);
    const st = statOrNull(probe);
    if (st && !st.isDirectory()) {
      throw usageError(`the data dir ${dir} cannot be created: ${probe} is a file, not a folder`, {
        hint: 'give --data-dir a folder path',
        details: { flag: 'data-dir', value: dir },
      });
    }
    try {
      accessSync(probe, fsConstants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EACCES';
      throw usageError(`the data dir ${dir} is not writable (${probe}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'})`, {
        hint: 'give --data-dir a folder you can write to, or fix its permissions',
        details: { flag: 'data-dir', value: dir, errno: code },
      });
    }
    return dir;
  }

  protected async context(): Promise<ServiceContext> {
    if (!this.session) this.session = await DuckSession.open();
    return {
      db: this.session,
      log: stderrLogger({ quiet: this.quiet }),
      clock: systemClock,
      signal: this.abort.signal,
    };
  }

  private installSignalHandlers(): void {
    for (const sig of ['SIGINT', 'SIGTERM'] as NodeJS.Signals[]) {
      const handler = (): void => {
        if (this.abort.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
        process.stderr.write(`\n${sig} received: stopping after the current step (again to force)\n`);
        this.abort.abort(interruptedError(`interrupted by ${sig}`));
        const grace = (this.constructor as typeof PerpkitCommand).interruptGraceMs;
        setTimeout(() => process.exit(EXIT_CODES.interrupted), grace).unref();
      };
      process.on(sig, handler);
      this.signalHandlers.push([sig, handler]);
    }
  }

  async catch(err: unknown): Promise<void> {
    const { code, payload, text } = describeError(err, this.abort.signal.aborted);
    process.exitCode = code;
    if (this.jsonMode) process.stdout.write(`${JSON.stringify({ error: payload })}\n`);
    else process.stderr.write(`${text}\n`);
  }

  async finally(): Promise<void> {
    for (const [sig, h] of this.signalHandlers) process.off(sig, h);
    this.signalHandlers = [];
    if (this.session) {
      this.session.close();
      this.session = undefined;
    }
  }
}

/** Maps any thrown value to the exit code, the JSON error payload and the stderr text. */
export function describeError(
  err: unknown,
  aborted = false,
): { code: number; payload: Record<string, unknown>; text: string } {
  if (isPerpkitError(err)) {
    const payload: Record<string, unknown> = { kind: err.kind, code: err.exitCode, message: err.message };
    if (err.hint) payload['hint'] = err.hint;
    if (err.details) payload['details'] = err.details;
    const text = `error: ${err.message}${err.hint ? `\n${err.hint}` : ''}`;
    return { code: err.exitCode, payload, text };
  }
  if (aborted) return describeError(interruptedError());
  // oclif's own parse errors (unknown flag, missing required flag, bad option) are usage errors.
  if (err instanceof Errors.CLIError || isOclifParseError(err)) {
    const message = (err as Error).message.replace(/\n\s*See more help with --help$/m, '');
    return describeError(
      new PerpkitError('usage', message, { hint: 'see --help for the flags this command takes' }),
    );
  }
  const mapped = classifyError(err);
  if (mapped) return describeError(mapped);
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    code: EXIT_CODES.bug,
    payload: { kind: 'bug', code: EXIT_CODES.bug, message: e.message },
    text: `error (unexpected; please report it with the command you ran): ${e.message}${
      process.env['PERPKIT_DEBUG'] ? `\n${e.stack ?? ''}` : ''
    }`,
  };
}

/** The value of --data-dir (or record's --out-dir) in argv, if given. */
function dataDirArg(argv: string[]): string | undefined {
  let found: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--') return;
    for (const name of ['--data-dir', '--out-dir']) {
      if (a === name && i + 1 < argv.length) found = argv[i + 1];
      else if (a.startsWith(`${name}=`)) found = a.slice(name.length + 1);
    }
  });
  return found;
}

function statOrNull(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function isOclifParseError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    'oclif' in err &&
    typeof (err as { oclif?: { exit?: unknown } }).oclif?.exit === 'number'
  );
}

/** JSON.stringify replacer: bigints as numbers when safe, else strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}

/** Re-exported so commands need one import. */
export { PerpkitError };
