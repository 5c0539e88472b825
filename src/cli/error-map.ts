import { PerpkitError, type ErrorKind } from '../domain/errors.js';

/**
 * Errors that are not perpkit's own but are not bugs either: the file system refusing (a file
 * where a folder should be, no permission, a read-only or full disk) and DuckDB refusing an input
 * file (corrupt gzip, a truncated Parquet file, a CSV it cannot parse). Each becomes a PerpkitError
 * with the exit code of its class, a message that names what failed and the path, and the next
 * step; the engine's own wording ("IO Error: ...") never reaches the user as is.
 * Anything not recognised here stays an unexpected error (exit 1: a bug to report).
 */

interface ErrnoLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
  message?: unknown;
}

const VERB: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  rename: 'move',
  rmdir: 'remove the folder',
  unlink: 'remove',
  scandir: 'list the folder',
  stat: 'read',
  lstat: 'read',
  write: 'write',
  read: 'read',
  copyfile: 'copy',
  access: 'access',
  mkdtemp: 'create a temporary folder in',
  rm: 'remove',
};

const ERRNO: Record<string, { kind: ErrorKind; what: string; hint: string }> = {
  ENOENT: { kind: 'missing', what: 'no such file or folder', hint: 'check the path (a data dir is created by "perpkit fetch")' },
  ENOTDIR: {
    kind: 'usage',
    what: 'a file is in the way where a folder is expected',
    hint: 'give --data-dir (or --path) a folder, or move the file away',
  },
  EISDIR: { kind: 'usage', what: 'a folder where a file is expected', hint: 'give the path of a file' },
  EACCES: { kind: 'usage', what: 'permission denied', hint: 'fix the permissions, or give --data-dir a folder you can write to' },
  EPERM: { kind: 'usage', what: 'operation not permitted', hint: 'fix the permissions, or give --data-dir a folder you can write to' },
  EROFS: { kind: 'usage', what: 'read-only file system', hint: 'give --data-dir a folder on a writable disk' },
  ENAMETOOLONG: { kind: 'usage', what: 'path too long', hint: 'use a shorter path' },
  ELOOP: { kind: 'usage', what: 'too many symbolic links', hint: 'check the symbolic links on the path' },
  ENOSPC: {
    kind: 'upstream',
    what: 'no space left on the disk',
    hint: 'free some space and re-run: writes are atomic, so nothing partial was kept',
  },
  EDQUOT: { kind: 'upstream', what: 'disk quota exceeded', hint: 'free some space and re-run: writes are atomic, so nothing partial was kept' },
  EMFILE: { kind: 'upstream', what: 'too many open files', hint: 'raise the open-file limit (ulimit -n) or re-run' },
  ENFILE: { kind: 'upstream', what: 'too many open files on the system', hint: 're-run when fewer files are open' },
  EBUSY: { kind: 'upstream', what: 'resource busy', hint: 're-run when the file is no longer in use' },
};

/** DuckDB messages of an input file it cannot read, by class. The file is taken from the message. */
const ENGINE: Array<{ re: RegExp; kind: ErrorKind; what: string; hint: string }> = [
  {
    re: /not a GZIP stream|gzip|Z_DATA_ERROR|incorrect header check|unexpected end of (?:compressed )?(?:file|stream)/i,
    kind: 'validation',
    what: 'is not a readable gzip file (corrupt or truncated)',
    hint: 'replace the file with a good copy (gzip -t FILE tests it), or move it out of the folder',
  },
  {
    re: /No magic bytes|not a parquet file|Invalid Input Error:.*parquet|too small to be a Parquet file|Parquet.*(?:corrupt|truncated)/i,
    kind: 'validation',
    what: 'is not a readable Parquet file (corrupt, truncated or 0 bytes)',
    hint: 'run "perpkit validate" to find and quarantine broken files, or restore the file',
  },
  {
    re: /CSV Error|Error when sniffing file|Could not convert string|Conversion Error/i,
    kind: 'validation',
    what: 'could not be parsed as the expected CSV',
    hint: 'check the file is a CSV of the documented columns (see the README), or move it out of the folder',
  },
  {
    re: /No files found that match the pattern/i,
    kind: 'missing',
    what: 'has no files',
    hint: 'check the path; run "perpkit datasets" to see what is stored',
  },
  {
    re: /Permission denied/i,
    kind: 'usage',
    what: 'cannot be opened: permission denied',
    hint: 'fix the permissions, or give --data-dir a folder you can write to',
  },
  {
    re: /Read-only file system/i,
    kind: 'usage',
    what: 'is on a read-only file system',
    hint: 'give --data-dir a folder on a writable disk',
  },
  {
    re: /No space left on device/i,
    kind: 'upstream',
    what: 'could not be written: no space left on the disk',
    hint: 'free some space and re-run: writes are atomic, so nothing partial was kept',
  },
  {
    re: /Not a directory/i,
    kind: 'usage',
    what: 'is not under a folder (a file is in the way)',
    hint: 'give --data-dir a folder',
  },
];

/** The file an engine message is about: the first quoted or trailing path in it. */
function pathIn(message: string): string | undefined {
  const q = /["'](\/[^"']+|[^"'\s]+\.(?:parquet|gz|csv|json))["']/.exec(message);
  if (q) return q[1];
  const t = /:\s*(\/\S+)\s*$/m.exec(message);
  return t?.[1];
}

/** A PerpkitError for a known file-system or engine failure; null for anything else (a bug). */
export function classifyError(err: unknown): PerpkitError | null {
  if (typeof err !== 'object' || err === null) return null;
  // A step's error (store/steps.ts StepError) names the step and wraps the engine's error: classify
  // the engine's error, so that a bad input file gets its exit code through any step.
  const cause = (err as { name?: unknown; cause?: unknown }).cause;
  if ((err as { name?: unknown }).name === 'StepError' && cause) return classifyError(cause);
  const e = err as ErrnoLike;
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.code === 'string' && ERRNO[e.code]) {
    const m = ERRNO[e.code]!;
    const path = typeof e.path === 'string' ? e.path : undefined;
    const verb = typeof e.syscall === 'string' ? (VERB[e.syscall] ?? e.syscall) : 'use';
    const text = path ? `cannot ${verb} ${path}: ${m.what} (${e.code})` : `${m.what} (${e.code})`;
    return new PerpkitError(m.kind, text, { hint: m.hint, details: { errno: e.code, ...(path ? { path } : {}) }, cause: err });
  }
  // DuckDB errors carry their class in the message ("IO Error: ...", "Invalid Input Error: ...").
  if (!/^(IO|Invalid Input|Conversion|Invalid|Out of Memory|Parser|Binder|Catalog) Error/m.test(message)) return null;
  for (const m of ENGINE) {
    if (!m.re.test(message)) continue;
    const path = pathIn(message);
    const subject = path ? `the file ${path}` : 'an input file';
    return new PerpkitError(m.kind, `${subject} ${m.what}`, { hint: m.hint, details: path ? { path } : {}, cause: err });
  }
  return null;
}
