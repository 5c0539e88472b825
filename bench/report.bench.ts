/**
 * Report size and time for a year of one-minute results (525,600 equity rows, synthetic): the
 * report document, the HTML (target < 1 MB) and the --interactive HTML.
 * Run: npm run bench -- report   (writes bench/results/report.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backtestReport } from '../src/services/report/backtest.js';
import { renderHtml } from '../src/services/report/html.js';
import { syntheticBacktest } from '../test/report/fixtures.js';

const TARGET_BYTES = 1_000_000;
const n = 365 * 24 * 60;
const d = syntheticBacktest(n, 60_000, 3);
const ledger = { evaluations: 1, trials: 1, research_cells: 0, unseals: 0, sharpes: [] };
const t0 = performance.now();
const report = backtestReport(d, ledger, new Date().toISOString(), 'bench');
const t1 = performance.now();
const html = renderHtml(report);
const t2 = performance.now();
const interactive = renderHtml(report, { interactive: true });
const r = {
  equity_rows: n,
  report_ms: Math.round(t1 - t0),
  render_ms: Math.round(t2 - t1),
  html_bytes: Buffer.byteLength(html),
  json_bytes: Buffer.byteLength(JSON.stringify(report)),
  interactive_bytes: Buffer.byteLength(interactive),
  target_bytes: TARGET_BYTES,
};
console.log(JSON.stringify(r, null, 2));
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'report.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ ...r, at: new Date().toISOString(), note: 'machine shared and loaded when measured' }, null, 2)}\n`);
console.log(`a year of 1m results: HTML ${(r.html_bytes / 1e6).toFixed(2)} MB (target < 1 MB: ${r.html_bytes < TARGET_BYTES ? 'within' : 'OVER'}), report ${r.report_ms} ms + render ${r.render_ms} ms`);
