/* global process, Buffer, setTimeout, clearTimeout */
// Runs many invocations of the built perpkit CLI (dist/, through oclif, exactly as bin/run.js does)
// in one Node process, one after another, and prints their exit codes, stdout and stderr as JSON.
// test/cli/exit-codes.test.ts starts a few of these side by side: loading oclif, DuckDB and ccxt
// once per process instead of once per case is what lets 300+ cases run in seconds on 2 cores.
// A few cases of the table are also run through bin/run.js itself, to check both agree.
//
// usage: node test/cli/fuzz-runner.mjs CASES.json > RESULTS.ndjson
//   CASES.json: [{ id, args, env?, cwd?, hash?: [dir...], timeoutMs? }]
//   RESULTS: one line {"start": id} before each case and one result line after it, so that the
//   parent can tell which case hangs (a synchronous loop cannot be timed out from inside), kill
//   this process and start another for the cases left.
import { readFileSync, readdirSync, lstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, run } from '@oclif/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Same as treeHash in test/helpers.ts: sha256 of every file (relative path + bytes); '' when absent. */
function treeHash(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else {
        h.update(relative(dir, p));
        h.update(st.isFile() ? readFileSync(p) : Buffer.alloc(0));
      }
    }
  };
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `file:${readFileSync(dir).length}`;
    walk(dir);
  } catch (err) {
    if (err.code === 'ENOENT') return 'absent';
    throw err;
  }
  return h.digest('hex');
}

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const config = await Config.load(ROOT);
const out = process.stdout.write.bind(process.stdout);
const err = process.stderr.write.bind(process.stderr);
const baseEnv = { ...process.env };
const baseCwd = process.cwd();

for (const c of cases) {
  let stdout = '';
  let stderr = '';
  out(`${JSON.stringify({ start: c.id })}\n`);
  const before = (c.hash ?? []).map(treeHash);
  process.env = { ...baseEnv, ...(c.env ?? {}) };
  if (!c.env || !('PERPKIT_DATA_DIR' in c.env)) delete process.env.PERPKIT_DATA_DIR;
  process.chdir(c.cwd ?? baseCwd);
  process.exitCode = undefined;
  const capture = (target) => (chunk, enc, cb) => {
    const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (target === 'out') stdout += s;
    else stderr += s;
    const done = typeof enc === 'function' ? enc : cb;
    if (done) done();
    return true;
  };
  process.stdout.write = capture('out');
  process.stderr.write = capture('err');
  const started = Date.now();
  let code;
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`case timed out after ${c.timeoutMs ?? 60000} ms`), { fuzzTimeout: true })), c.timeoutMs ?? 60000);
    });
    await Promise.race([run(c.args, config), timeout]);
    code = process.exitCode ?? 0;
  } catch (e) {
    // What @oclif/core's handle() does for bin/run.js: print the message, exit with its code.
    if (e && e.fuzzTimeout) {
      code = 'timeout';
      stderr += `\n[fuzz-runner] ${e.message}`;
    } else {
      code = e?.oclif?.exit ?? 1;
      stderr += ` ›   Error: ${e?.message ?? String(e)}\n`;
    }
  } finally {
    clearTimeout(timer);
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const after = (c.hash ?? []).map(treeHash);
  if (process.env.FUZZ_TRACE) err(`[fuzz-runner] ${c.id} exit ${code} ${Date.now() - started} ms ${JSON.stringify(c.args)}\n`);
  out(`${JSON.stringify({
    id: c.id,
    code: typeof code === 'number' ? code : code,
    stdout,
    stderr,
    ms: Date.now() - started,
    changed: (c.hash ?? []).filter((_, i) => before[i] !== after[i]),
  })}\n`);
}
process.chdir(baseCwd);
process.env = baseEnv;
// Whatever a case left behind (a timer, a socket) must not keep the runner alive.
process.exit(0);
