import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { DuckSession } from '../src/store/duckdb.js';
import { silentLogger, type ServiceContext } from '../src/domain/context.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const CANDLES = join(FIXTURES, 'binance-candles');

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

/** A fresh temp dir, removed after the test. */
export function tempDir(prefix = 'perpkit-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A service context on its own in-memory DuckDB, closed after the test. */
export async function testContext(nowMs = Date.parse('2026-11-22T12:00:00Z')): Promise<ServiceContext> {
  const db = await DuckSession.open();
  cleanups.push(() => db.close());
  return { db, log: silentLogger, clock: { now: () => nowMs }, signal: new AbortController().signal };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

/**
 * Runs the real built CLI (bin/run.js over dist/) as a child process, without blocking the test
 * worker: a synchronous spawn stalls vitest's worker RPC, which times out after 60 s on a loaded
 * machine ("Timeout calling onTaskUpdate"). Killed after 300 s.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env?.['PERPKIT_DATA_DIR']) delete env['PERPKIT_DATA_DIR'];
  return runProcess(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: options.cwd ?? ROOT, env });
}

/**
 * Runs many invocations of the built CLI in one process (test/cli/fuzz-runner.mjs: oclif and DuckDB
 * load once, each case through oclif's run() exactly as bin/run.js does), one after another, in
 * order. For tables of bad-input cases: a process per case costs seconds on a loaded machine.
 * PERPKIT_DATA_DIR is unset for every case, as runCli does.
 */
export async function runCliMany(cases: string[][], options: { timeoutMs?: number } = {}): Promise<Array<{ code: number | string; stdout: string; stderr: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'perpkit-cli-many-'));
  try {
    const file = join(dir, 'cases.json');
    writeFileSync(file, JSON.stringify(cases.map((args, id) => ({ id, args, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }))));
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
    delete env['PERPKIT_DATA_DIR'];
    const r = await runProcess(process.execPath, [join(ROOT, 'test', 'cli', 'fuzz-runner.mjs'), file], { cwd: ROOT, env, ...(options.timeoutMs ? { timeoutMs: cases.length * options.timeoutMs } : {}) });
    const results = r.stdout
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('{"start"'))
      .map((l) => JSON.parse(l) as { id: number; code: number | string; stdout: string; stderr: string });
    if (results.length !== cases.length) throw new Error(`runCliMany: ${results.length} of ${cases.length} cases ran (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    return results.sort((a, b) => a.id - b.id).map(({ code, stdout, stderr }) => ({ code, stdout, stderr }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds a test fixture with the CLI: runs the steps one after another in one process (runCliMany:
 * each through oclif as bin/run.js does), so that a fixture of several steps, or several fixtures,
 * pay for one Node, oclif and DuckDB start instead of one per step. For setup only: what a test
 * checks about a command's exit code or output runs through bin/run.js (runCli). Throws, naming the
 * step, if a step does not exit 0 (the steps after it still run, and are not reported).
 */
export async function buildWithCli(steps: string[][]): Promise<void> {
  const ran = await runCliMany(steps, { timeoutMs: 300_000 });
  ran.forEach((r, k) => {
    if (r.code !== 0) throw new Error(`fixture step failed: perpkit ${steps[k]!.join(' ')}: exit ${r.code}: ${r.stderr.slice(-2000)}`);
  });
}

/**
 * Runs any program as a child process without blocking the test worker (see runCli); killed after
 * `timeoutMs` (default 300 s).
 */
export function runProcess(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** sha256 of every file under a folder (relative path + bytes), for "no files changed" checks. */
export function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else {
        h.update(relative(dir, p));
        h.update(readFileSync(p));
      }
    }
  };
  try {
    walk(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return h.digest('hex');
}
