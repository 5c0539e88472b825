#!/usr/bin/env node
// SQL mutation testing: StrykerJS does not mutate SQL, so this applies a fixed list of plausible
// one-line bugs to queries/ one at a time, runs the tests that cover that file, and reports whether
// the suite caught each one (a failing test run = caught). The original file is always restored.
//   npm run test:mutation:sql [-- NAME_SUBSTRING]     (needs a build: tests of the CLI run dist/)
// Exit code 1 when any mutation is missed.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FEATURE_TESTS = ['test/services/features.test.ts', 'test/services/features-rules.test.ts'];
const VALIDATE_TESTS = ['test/validate/queries.test.ts', 'test/validate/corruption.test.ts'];

/** file under queries/, exact text to find (must occur once), its replacement, the tests to run */
const MUTATIONS = [
  { name: 'rollup accepts incomplete buckets', file: 'features/rollup.sql', find: 'HAVING count(DISTINCT event_time) = $parts', replace: 'HAVING count(DISTINCT event_time) <= $parts', tests: FEATURE_TESTS },
  { name: 'rollup availability from the first part', file: 'features/rollup.sql', find: 'max(available_time) AS available_time', replace: 'min(available_time) AS available_time', tests: FEATURE_TESTS },
  { name: 'label return inverted', file: 'features/labels.sql', find: 'CASE WHEN good THEN exit_price / entry_price - 1 END AS fwd_return', replace: 'CASE WHEN good THEN entry_price / exit_price - 1 END AS fwd_return', tests: FEATURE_TESTS },
  { name: 'label gap tolerance dropped at the exit', file: 'features/labels.sql', find: 'AND exit_time < target_exit + to_milliseconds(exit_tol_ms)', replace: 'AND exit_time IS NOT NULL', tests: FEATURE_TESTS },
  { name: 'label known at the exit time, not when its price is available', file: 'features/labels.sql', find: 'CASE WHEN good THEN exit_available_time END AS exit_available_time', replace: 'CASE WHEN good THEN exit_time END AS exit_available_time', tests: FEATURE_TESTS },
  { name: 'label prices: coarsest source wins', file: 'features/label_px.sql', find: 'ORDER BY tol_ms, source', replace: 'ORDER BY tol_ms DESC, source', tests: FEATURE_TESTS },
  { name: 'label grid: latency dropped', file: 'features/label_grid.sql', find: 'SELECT symbol, close_time + to_milliseconds($lat) AS decision_time FROM closes', replace: 'SELECT symbol, close_time + to_milliseconds(0 * $lat) AS decision_time FROM closes', tests: FEATURE_TESTS },
  { name: 'ohlc: low above min(open, close) not checked', file: 'validate/bars_ohlc.sql', find: 'WHEN high < greatest("open", "close") OR low > least("open", "close") OR high < low', replace: 'WHEN high < greatest("open", "close") OR high < low', tests: VALIDATE_TESTS },
  { name: 'ohlc: zero price allowed', file: 'validate/bars_ohlc.sql', find: 'WHEN least("open", high, low, "close") <= 0', replace: 'WHEN least("open", high, low, "close") < 0', tests: VALIDATE_TESTS },
  { name: 'duplicates: a key seen twice is fine', file: 'validate/duplicates.sql', find: 'HAVING count(*) > 1', replace: 'HAVING count(*) > 2', tests: VALIDATE_TESTS },
];

const only = process.argv[2];
const results = [];
for (const m of MUTATIONS) {
  if (only && !m.name.includes(only)) continue;
  const path = join(root, 'queries', m.file);
  const original = readFileSync(path, 'utf8');
  const at = original.indexOf(m.find);
  if (at < 0 || original.indexOf(m.find, at + 1) >= 0) {
    results.push({ ...m, outcome: 'stale (text not found exactly once)' });
    continue;
  }
  writeFileSync(path, original.replace(m.find, m.replace));
  const t0 = Date.now();
  try {
    const r = spawnSync('npx', ['vitest', 'run', ...m.tests], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    results.push({ ...m, outcome: r.status === 0 ? 'MISSED' : 'caught', seconds: Math.round((Date.now() - t0) / 1000) });
  } finally {
    writeFileSync(path, original);
  }
  const last = results[results.length - 1];
  process.stderr.write(`${last.outcome.padEnd(8)} ${m.file}: ${m.name} (${last.seconds ?? 0} s)\n`);
}
const caught = results.filter((r) => r.outcome === 'caught').length;
const missed = results.filter((r) => r.outcome !== 'caught');
console.log(`\nSQL mutations: ${caught} caught, ${missed.length} missed or stale, of ${results.length}`);
for (const r of missed) console.log(`  ${r.outcome}: ${r.file}: ${r.name}`);
process.exitCode = missed.length ? 1 : 0;
