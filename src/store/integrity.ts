import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PerpkitError, validationError } from '../domain/errors.js';
import type { DuckSession } from './duckdb.js';
import { acquireLock, META_DIR } from './txn.js';

/**
 * Integrity of the Parquet files in a data dir. A Parquet file starts and ends with the 4 bytes
 * "PAR1" and, before the final magic, holds the 4-byte little-endian length of its footer; a file
 * cut short by a full disk, a killed copy or a partial sync loses the final magic. Checking the
 * size and both magics costs two small reads per file, so every listing of dataset files does it
 * (datasetFiles) and a damaged file is named instead of surfacing as DuckDB's "No magic bytes".
 * Damage inside a file that leaves both ends intact is caught when DuckDB reads it
 * (corruptFileFromEngineError maps that error to the same message).
 *
 * `perpkit validate` moves damaged files aside into <data-dir>/.perpkit/quarantine-files/ (nothing
 * is deleted) and appends a record per file to records.ndjson there; every other command refuses
 * with exit 3 and tells the user to run validate.
 */

const MAGIC = Buffer.from('PAR1', 'ascii');
/** Smallest possible Parquet file: magic, footer length, magic (an empty footer is still larger). */
export const MIN_PARQUET_BYTES = 12;
/** Folder (under the data dir) that quarantined files are moved into. */
export const QUARANTINE_FILES_DIR = join(META_DIR, 'quarantine-files');
export const QUARANTINE_RECORDS = 'records.ndjson';

export interface FileProblem {
  /** absolute path of the damaged file */
  file: string;
  size: number;
  reason: string;
}

/** Checks one Parquet file's size, magics and footer length; null when it looks whole. */
export function checkParquetFile(file: string): FileProblem | null {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    return { file, size: 0, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (size === 0) return { file, size, reason: 'is empty (0 bytes)' };
  if (size < MIN_PARQUET_BYTES) return { file, size, reason: `is too small to be a Parquet file (${size} bytes)` };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return { file, size, reason: `cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    readSync(fd, head, 0, 4, 0);
    readSync(fd, tail, 0, 8, size - 8);
    if (!head.equals(MAGIC)) return { file, size, reason: 'is not a Parquet file (no PAR1 magic at the start)' };
    if (!tail.subarray(4).equals(MAGIC)) return { file, size, reason: `is truncated or damaged (no PAR1 magic at the end; ${size} bytes)` };
    const footer = tail.readUInt32LE(0);
    if (footer === 0 || footer > size - MIN_PARQUET_BYTES) {
      return { file, size, reason: `is damaged (footer length ${footer} does not fit in ${size} bytes)` };
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

export function findCorruptFiles(files: readonly string[]): FileProblem[] {
  const out: FileProblem[] = [];
  for (const f of files) {
    const p = checkParquetFile(f);
    if (p) out.push(p);
  }
  return out;
}

const shown = (root: string | undefined, file: string): string => (root && file.startsWith(root + sep) ? relative(root, file) : file);

/** The error every command but validate gives for damaged files: exit 3, the files, the next step. */
export function corruptFilesError(problems: readonly FileProblem[], root?: string): PerpkitError {
  const first = problems.slice(0, 5).map((p) => `  ${shown(root, p.file)} ${p.reason}`);
  const more = problems.length > 5 ? [`  ... and ${problems.length - 5} more`] : [];
  return validationError(
    `${problems.length === 1 ? 'a Parquet file' : `${problems.length} Parquet files`} in ${root ?? 'the data dir'} cannot be read:\n${[...first, ...more].join('\n')}`,
    {
      hint: `run "perpkit validate${root ? ` --data-dir ${root}` : ''}": it moves damaged files aside into ${join(root ?? '<data-dir>', QUARANTINE_FILES_DIR)} (nothing is deleted); then re-fetch or rebuild what they held`,
      details: { corrupt_files: problems.map((p) => ({ file: p.file, size: p.size, reason: p.reason })) },
    },
  );
}

/** Throws corruptFilesError when any of the files is damaged. */
export function assertParquetFilesIntact(files: readonly string[], root?: string): void {
  const problems = findCorruptFiles(files);
  if (problems.length) throw corruptFilesError(problems, root);
}

/** DuckDB messages that mean a Parquet file could not be decoded. */
const ENGINE_CORRUPT_PATTERNS = [
  /No magic bytes found at end of file '([^']+)'/,
  /File '([^']+)' too small to be a Parquet file/,
  /Corrupt(?:ed)? (?:parquet )?file '([^']+)'/i,
  /parquet file '([^']+)'.*(?:corrupt|invalid|truncated)/i,
];
const ENGINE_CORRUPT_UNNAMED = [/Couldn't deserialize thrift/i, /don't know what type/i, /TProtocolException/i, /decompress/i, /Parquet.*(?:corrupt|invalid)/i];

/**
 * Maps a DuckDB error raised while reading a damaged Parquet file to the same PerpkitError as the
 * cheap check gives (exit 3, the file, "run perpkit validate"); null for any other error.
 */
export function corruptFileFromEngineError(err: unknown, root?: string): PerpkitError | null {
  if (err instanceof PerpkitError || !(err instanceof Error)) return null;
  const msg = err.message;
  for (const re of ENGINE_CORRUPT_PATTERNS) {
    const m = re.exec(msg);
    if (m?.[1]) {
      const file = m[1];
      const p = checkParquetFile(file) ?? { file, size: existsSync(file) ? statSync(file).size : 0, reason: 'is damaged (DuckDB could not decode it)' };
      return corruptFilesError([p], root);
    }
  }
  if (ENGINE_CORRUPT_UNNAMED.some((re) => re.test(msg))) {
    return validationError(`a Parquet file in ${root ?? 'the data dir'} is damaged inside (DuckDB could not decode it)`, {
      hint: `run "perpkit validate${root ? ` --data-dir ${root}` : ''}" to find and set aside damaged files`,
    });
  }
  return null;
}

/**
 * Asks DuckDB to decode each file: its footer (parquet_metadata, cheap) or, with deep, every value
 * (a full read). Finds the damage the byte check cannot see: a garbled footer or data page between
 * intact magics. For validate; files the byte check already refused should be left out.
 */
export async function probeParquetFiles(db: DuckSession, files: readonly string[], deep: boolean, signal?: AbortSignal): Promise<FileProblem[]> {
  const out: FileProblem[] = [];
  const sql = deep ? 'SELECT max(COLUMNS(*)::VARCHAR) FROM read_parquet($f)' : 'SELECT count(*) FROM parquet_metadata($f)';
  for (const f of files) {
    if (signal?.aborted) throw signal.reason;
    try {
      await db.all(sql, { f });
    } catch (err) {
      if (!corruptFileFromEngineError(err)) throw err;
      out.push({ file: f, size: statSync(f).size, reason: deep ? 'is damaged (a data page cannot be decoded)' : 'is damaged (its footer cannot be decoded)' });
    }
  }
  return out;
}

/** Every Parquet file under the data dir, hidden folders (.perpkit: staging, trash) left out. */
export function allParquetFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

/** One file moved aside by validate. */
export interface QuarantinedFile {
  /** where it was, relative to the data dir */
  file: string;
  /** where it is now, relative to the data dir */
  moved_to: string;
  size: number;
  reason: string;
  /** when it was moved, ISO-8601 UTC */
  time: string;
}

/**
 * Moves damaged files into <root>/.perpkit/quarantine-files/<stamp>/<original relative path> and
 * appends one record per file to records.ndjson there. Holds the writer lock, so no write is
 * swapping the partition meanwhile. Nothing is deleted: `mv` the file back to restore it.
 */
export async function quarantineFiles(root: string, problems: readonly FileProblem[], nowMs: number): Promise<QuarantinedFile[]> {
  if (problems.length === 0) return [];
  const lock = await acquireLock(root);
  try {
    const time = new Date(nowMs).toISOString();
    const stamp = time.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const base = join(root, QUARANTINE_FILES_DIR);
    const out: QuarantinedFile[] = [];
    for (const p of problems) {
      if (!existsSync(p.file)) continue; // moved by someone else meanwhile
      const rel = relative(root, p.file);
      let dest = join(base, stamp, rel);
      for (let i = 1; existsSync(dest); i++) dest = join(base, `${stamp}-${i}`, rel);
      mkdirSync(dirname(dest), { recursive: true });
      renameSync(p.file, dest);
      const rec: QuarantinedFile = { file: rel, moved_to: relative(root, dest), size: p.size, reason: p.reason, time };
      appendFileSync(join(base, QUARANTINE_RECORDS), `${JSON.stringify(rec)}\n`);
      out.push(rec);
    }
    return out;
  } finally {
    lock.release();
  }
}

/** Records of every file quarantined so far (oldest first). */
export function quarantinedFileRecords(root: string): QuarantinedFile[] {
  const path = join(root, QUARANTINE_FILES_DIR, QUARANTINE_RECORDS);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as QuarantinedFile);
}
