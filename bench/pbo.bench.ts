/**
 * Benchmark of PBO by CSCV (src/stats/pbo.ts) on the workload: T = 1000 periods, N = 50
 * strategies, S = 16 blocks (C(16, 8) = 12,870 combinations), on Gaussian noise. Also times two
 * smaller shapes so the scaling in N and S can be compared within one run (machines are shared and
 * noisy: compare ratios, not absolute times across runs).
 *
 * Run: npm run bench -- pbo   (writes bench/results/pbo.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probabilityOfBacktestOverfitting } from '../src/stats/pbo.js';
import { normalArray } from '../src/stats/random.js';

interface Workload {
  name: string;
  rows: number;
  cols: number;
  blocks: number;
}

const WORKLOADS: Workload[] = [
  { name: 'issue target', rows: 1000, cols: 50, blocks: 16 },
  { name: 'half the strategies', rows: 1000, cols: 25, blocks: 16 },
  { name: 'S = 12', rows: 1000, cols: 50, blocks: 12 },
];
const REPEATS = 5;
/** The budget for the target workload. */
const TARGET_MS = 5000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const results = WORKLOADS.map((w, k) => {
  const values = normalArray(w.rows * w.cols, 1000 + k, 0, 0.01);
  const matrix = { values, rows: w.rows, cols: w.cols };
  probabilityOfBacktestOverfitting(matrix, { blocks: w.blocks }); // warm-up (JIT)
  const times: number[] = [];
  let pbo = 0;
  let combinations = 0;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const r = probabilityOfBacktestOverfitting(matrix, { blocks: w.blocks });
    times.push(performance.now() - t0);
    pbo = r.pbo;
    combinations = r.combinations;
  }
  return {
    ...w,
    combinations,
    repeats: REPEATS,
    median_ms: median(times),
    min_ms: Math.min(...times),
    max_ms: Math.max(...times),
    pbo_on_noise: pbo,
  };
});

const header = ['workload', 'T', 'N', 'S', 'combinations', 'median ms', 'min ms', 'max ms', 'PBO (noise)'];
const body = results.map((r) => [
  r.name,
  String(r.rows),
  String(r.cols),
  String(r.blocks),
  String(r.combinations),
  r.median_ms.toFixed(1),
  r.min_ms.toFixed(1),
  r.max_ms.toFixed(1),
  r.pbo_on_noise.toFixed(3),
]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
const fmt = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(fmt(header));
for (const row of body) console.log(fmt(row));
const target = results[0]!;
console.log(`\ntarget (T 1000, N 50, S 16): median ${target.median_ms.toFixed(1)} ms, budget ${TARGET_MS} ms: ${target.median_ms < TARGET_MS ? 'within' : 'OVER'}`);

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'pbo.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      benchmark: 'pbo-cscv',
      recorded_at: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      target_ms: TARGET_MS,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
