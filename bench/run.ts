/**
 * Runs every benchmark (bench/*.bench.ts), each in its own child process so
 * peak memory and JIT state do not leak between them, and prints a summary table. Each
 * benchmark saves its own results under bench/results/.
 *
 * Run: npm run bench [-- NAME...]   (e.g. npm run bench -- pbo)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const rows: Array<{ bench: string; status: string; seconds: string; summary: string }> = [];
for (const f of files) {
  const t0 = performance.now();
  process.stderr.write(`running ${f}...\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, f)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(r.stdout ?? '');
  const lastLine = (r.stdout ?? '').trim().split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
  rows.push({ bench: f, status: r.status === 0 ? 'ok' : `failed (${r.status ?? r.signal})`, seconds, summary: lastLine.slice(0, 100) });
}
const cols = ['bench', 'status', 'seconds', 'summary'] as const;
const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(width[i]!)).join('  ');
console.log(`\n${line([...cols])}\n${line(width.map((w) => '-'.repeat(w)))}`);
for (const r of rows) console.log(line(cols.map((c) => r[c])));
process.exitCode = rows.every((r) => r.status === 'ok') ? 0 : 1;
