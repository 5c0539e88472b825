#!/usr/bin/env node
// The closing summary of `make demo`: what was built, what validate found, where the outputs are,
// and what to try next. Reads the demo's own outputs; prints to stdout.
//   node scripts/demo-summary.mjs DATA_DIR TF
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [dir = 'data', tf = '1h'] = process.argv.slice(2);
const read = (p) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js');
const ls = spawnSync(process.execPath, [cli, 'datasets', '--data-dir', dir, '--json'], { encoding: 'utf8' });
const datasets = ls.status === 0 ? JSON.parse(ls.stdout) : null;
const validate = read(join(dir, 'reports', 'validate.json'));
const split = read(join(dir, 'splits', `demo-${tf}.json`));
const lines = [];
const say = (s = '') => lines.push(s);

say('');
say(`perpkit demo: done (data dir ${dir}, decision timeframe ${tf})`);
say('');
if (datasets) {
  const rows = Array.isArray(datasets) ? datasets : (datasets.datasets ?? datasets.rows ?? []);
  const by = new Map();
  for (const r of rows) by.set(r.dataset, (by.get(r.dataset) ?? 0) + Number(r.rows ?? 0));
  say('built:');
  for (const [name, n] of by) say(`  ${name.padEnd(12)} ${String(n).padStart(9)} rows`);
}
if (validate) {
  const s = validate.summary ?? {};
  say('');
  say(`validate: ${s.error ?? 0} errors, ${s.warn ?? 0} warnings, ${s.info ?? 0} infos (report: ${validate.report_path ?? join(dir, 'reports', 'validate.json')})`);
  const warn = (validate.checks ?? []).filter((c) => c.count > 0 && c.severity === 'warn');
  for (const c of warn) say(`  warning ${c.check}: ${c.count}`);
}
if (split) {
  say('');
  say(`split demo-${tf}: ${split.scheme}; segments:`);
  for (const seg of split.segments ?? []) {
    const iv = seg.intervals?.[0] ?? [];
    const n = typeof seg.rows === 'object' && seg.rows !== null ? Object.values(seg.rows).reduce((a, b) => a + Number(b), 0) : Number(seg.rows ?? 0);
    say(`  ${seg.name.padEnd(11)} ${iv[0] ?? ''} -> ${iv[1] ?? ''}  ${n} rows${seg.sealed ? '  [sealed]' : ''}`);
  }
}
say('');
say('outputs:');
say(`  ${join(dir, 'features')}/   ${join(dir, 'labels')}/   ${join(dir, 'splits')}/   ${join(dir, 'runs')}/ (backtests)   ${join(dir, 'optimize')}/   ${join(dir, 'reports')}/`);
say('');
say('next:');
say(`  node bin/run.js features --list                                    # the feature catalog`);
say(`  node bin/run.js split --read demo-${tf} --segment train --dataset features --data-dir ${dir} | head   # rows of a segment (NDJSON)`);
say(`  node bin/run.js research --split demo-${tf} --hypothesis H1 --data-dir ${dir}    # IC, effective N, BH/Holm, verdict`);
say(`  node bin/run.js report --latest --format md --data-dir ${dir}                  # the latest run as Markdown (+ SVGs)`);
const report = read(join(dir, 'reports', `demo-${tf}.report.json`));
if (report) {
  const research = join(dir, 'reports', `research-${tf}.html`);
  say('');
  if (existsSync(research)) say(`research tear sheet: ${research}`);
  const optimize = join(dir, 'reports', `optimize-${tf}.html`);
  const opt = read(join(dir, 'reports', `optimize-${tf}.json`));
  if (existsSync(optimize)) say(`optimisation tear sheet: ${optimize}${opt?.pbo ? ` (PBO ${Number(opt.pbo.pbo).toFixed(2)}, ${opt.n_windows} windows x ${opt.n_cells} cells)` : ''}`);
  say(`report (open it in a browser; self-contained, works offline): ${report.path}`);
  for (const l of report.summary ?? []) say(`  ${l}`);
}
process.stdout.write(`${lines.join('\n')}\n`);
