#!/usr/bin/env node
// SQL mutation testing: StrykerJS does not mutate SQL, so this applies a fixed list of plausible
// one-line bugs to queries/ one at a time, runs the tests that cover that file, and reports whether
// the suite caught each one (a failing test run = caught). The original file is always restored.
//   npm run test:mutation:sql [-- SUBSTRING of "file: name", e.g. validate/]     (needs a build: tests of the CLI run dist/)
// Exit code 1 when any mutation is missed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FEATURE_TESTS = ['test/services/features.test.ts', 'test/services/features-rules.test.ts'];
const VALIDATE_TESTS = ['test/validate/branches.test.ts', 'test/validate/queries.test.ts', 'test/validate/corruption.test.ts'];

/** file under queries/, exact text to find (must occur once), its replacement, the tests to run */
const MUTATIONS = [
  { name: 'rollup accepts incomplete buckets', file: 'features/rollup.sql', find: 'HAVING count(DISTINCT event_time) = $parts', replace: 'HAVING count(DISTINCT event_time) <= $parts', tests: FEATURE_TESTS },
  { name: 'rollup availability from the first part', file: 'features/rollup.sql', find: 'max(available_time) AS available_time', replace: 'min(available_time) AS available_time', tests: FEATURE_TESTS },
  // features/rollup_one (bars already at the decision timeframe): its own test compares it with the roll-up at 1:1
  { name: 'rollup 1:1: bars off the bucket start not grouped', file: 'features/rollup_one.sql', find: 'WHERE open_time <> time_bucket(to_seconds($secs), open_time) OR event_time', replace: 'WHERE event_time', tests: ['test/services/features-rollup-one.test.ts'] },
  { name: 'rollup 1:1: bars of a wrong length not grouped', file: 'features/rollup_one.sql', find: ' OR event_time <> open_time + to_seconds($secs)', replace: '', tests: ['test/services/features-rollup-one.test.ts'] },
  { name: 'rollup 1:1: a bucket of one event time left out', file: 'features/rollup_one.sql', find: 'HAVING min(event_time) <> max(event_time)', replace: 'HAVING min(event_time) = max(event_time)', tests: ['test/services/features-rollup-one.test.ts'] },
  { name: 'rollup 1:1: only the shared buckets kept', file: 'features/rollup_one.sql', find: 'WHERE time_bucket(to_seconds($secs), open_time) NOT IN (', replace: 'WHERE time_bucket(to_seconds($secs), open_time) IN (', tests: ['test/services/features-rollup-one.test.ts'] },
  { name: 'label return inverted', file: 'features/labels.sql', find: 'CASE WHEN good THEN exit_price / entry_price - 1 END AS fwd_return', replace: 'CASE WHEN good THEN entry_price / exit_price - 1 END AS fwd_return', tests: FEATURE_TESTS },
  { name: 'label gap tolerance dropped at the exit', file: 'features/labels.sql', find: 'AND exit_time < target_exit + to_milliseconds(exit_tol_ms)', replace: 'AND exit_time IS NOT NULL', tests: FEATURE_TESTS },
  { name: 'label known at the exit time, not when its price is available', file: 'features/labels.sql', find: 'CASE WHEN good THEN exit_available_time END AS exit_available_time', replace: 'CASE WHEN good THEN exit_time END AS exit_available_time', tests: FEATURE_TESTS },
  { name: 'label prices: coarsest source wins', file: 'features/label_px.sql', find: 'ORDER BY tol_ms, source', replace: 'ORDER BY tol_ms DESC, source', tests: FEATURE_TESTS },
  { name: 'label grid: latency dropped', file: 'features/label_grid.sql', find: 'SELECT symbol, close_time + to_milliseconds($lat) AS decision_time FROM closes', replace: 'SELECT symbol, close_time + to_milliseconds(0 * $lat) AS decision_time FROM closes', tests: FEATURE_TESTS },
  // the settlement event study (H6): prices as of each clock offset, placebo times half an interval away
  { name: 'settlement study: perp price of the bar after the offset', file: 'research/settlement_events.sql', find: 'ASOF LEFT JOIN research_settle_perp pp ON pp.symbol = p.symbol AND pp.t <= p.at', replace: 'ASOF LEFT JOIN research_settle_perp pp ON pp.symbol = p.symbol AND pp.t >= p.at', tests: ['test/research/settlement.test.ts'] },
  { name: 'settlement study: placebo at the settlement itself', file: 'research/settle_event_times.sql', find: "SELECT symbol, s + to_milliseconds($half::BIGINT), 'placebo', rate", replace: "SELECT symbol, s + to_milliseconds(0 * $half::BIGINT), 'placebo', rate", tests: ['test/research/settlement.test.ts'] },
  { name: 'settlement study: the near offset before the event taken after it', file: 'research/settlement_events.sql', find: 'WHEN -2 THEN -$near_min', replace: 'WHEN -2 THEN $near_min', tests: ['test/research/settlement.test.ts'] },
  { name: 'ohlc: low above min(open, close) not checked', file: 'validate/bars_ohlc.sql', find: 'WHEN high < greatest("open", "close") OR low > least("open", "close") OR high < low', replace: 'WHEN high < greatest("open", "close") OR high < low', tests: VALIDATE_TESTS },
  { name: 'ohlc: zero price allowed', file: 'validate/bars_ohlc.sql', find: 'WHEN least("open", high, low, "close") <= 0', replace: 'WHEN least("open", high, low, "close") < 0', tests: VALIDATE_TESTS },
  { name: 'duplicates: a key seen twice is fine', file: 'validate/duplicates.sql', find: 'HAVING count(*) > 1', replace: 'HAVING count(*) > 2', tests: VALIDATE_TESTS },
  // a dropped OR branch (or the comparable branch where a query has no OR) per validate query, and a changed partition key
  { name: 'ohlc: NULL volume flagged as non-finite', file: 'validate/bars_ohlc.sql', find: 'OR NOT coalesce(isfinite(volume), true)', replace: 'OR NOT coalesce(isfinite(volume), false)', tests: VALIDATE_TESTS },
  { name: 'ohlc: negative trade_count not checked', file: 'validate/bars_ohlc.sql', find: 'OR quote_volume < 0 OR trade_count < 0', replace: 'OR quote_volume < 0', tests: VALIDATE_TESTS },
  { name: 'ohlc: non-finite low not checked', file: 'validate/bars_ohlc.sql', find: 'AND isfinite(low) AND isfinite("close"), false)', replace: 'AND isfinite("close"), false)', tests: VALIDATE_TESTS },
  { name: 'alignment: open_time not checked', file: 'validate/bars_alignment.sql', find: '\n   OR open_time IS DISTINCT FROM event_time - to_seconds(tf)', replace: '', tests: VALIDATE_TESTS },
  { name: 'alignment: unknown timeframe not checked', file: 'validate/bars_alignment.sql', find: 'WHERE tf IS NULL\n   OR ', replace: 'WHERE ', tests: VALIDATE_TESTS },
  { name: 'clocks: year 2100 bound dropped from the row filter', file: 'validate/clocks.sql', find: "OR r.event_time < $earliest OR r.event_time >= TIMESTAMP '2100-01-01'", replace: 'OR r.event_time < $earliest', tests: VALIDATE_TESTS },
  { name: 'clocks: precision loss of event_time dropped from the row filter', file: 'validate/clocks.sql', find: 'OR epoch_us(r.event_time) % 1000 IN (1, 999, -1, -999) OR epoch_us(r.available_time)', replace: 'OR epoch_us(r.available_time)', tests: VALIDATE_TESTS },
  { name: 'duplicates: partitioned by file, not by series folder', file: 'validate/duplicates.sql', find: "PARTITION BY regexp_replace(filename, '/[^/]+/[^/]+$', ''), event_time", replace: 'PARTITION BY filename, event_time', tests: VALIDATE_TESTS },
  { name: 'duplicates: partitioned by month folder, not by series folder', file: 'validate/duplicates.sql', find: "PARTITION BY regexp_replace(filename, '/[^/]+/[^/]+$', ''), event_time", replace: "PARTITION BY regexp_replace(filename, '/[^/]+$', ''), available_time", tests: VALIDATE_TESTS },
  { name: 'timestamps: partitions compared by month only', file: 'validate/timestamps.sql', find: 'FROM t WHERE part_value IS DISTINCT FROM want_part', replace: 'FROM t WHERE left(part_value, 7) IS DISTINCT FROM left(want_part, 7)', tests: VALIDATE_TESTS },
  { name: 'funding schedule: NULL rate is finite', file: 'validate/funding_schedule.sql', find: 'WHERE NOT coalesce(isfinite(funding_rate), false)', replace: 'WHERE NOT coalesce(isfinite(funding_rate), true)', tests: VALIDATE_TESTS },
  { name: 'funding schedule: bound on positive rates only', file: 'validate/funding_schedule.sql', find: 'AND abs(funding_rate) > $max_abs_rate_per_hour * ih', replace: 'AND funding_rate > $max_abs_rate_per_hour * ih', tests: VALIDATE_TESTS },
  { name: 'funding schedule: tolerance after the settlement only', file: 'validate/funding_schedule.sql', find: 'SELECT *, least(off_ms, ims - off_ms) <= $tolerance_ms AS on_schedule', replace: 'SELECT *, off_ms <= $tolerance_ms AS on_schedule', tests: VALIDATE_TESTS },
  { name: "funding schedule: the row's own interval ignored", file: 'validate/funding_schedule.sql', find: 'coalesce(r.funding_interval_hours, cad.interval_hours, $default_interval_hours)', replace: 'coalesce(cad.interval_hours, $default_interval_hours)', tests: VALIDATE_TESTS },
  { name: "funding schedule: the instrument's interval ignored", file: 'validate/funding_schedule.sql', find: 'coalesce(r.funding_interval_hours, cad.interval_hours, $default_interval_hours)', replace: 'coalesce(r.funding_interval_hours, $default_interval_hours)', tests: VALIDATE_TESTS },
  { name: 'funding cross-source: only one sign of difference', file: 'validate/funding_cross_source.sql', find: 'WHERE abs(a.funding_rate - b.funding_rate) > $tolerance', replace: 'WHERE a.funding_rate - b.funding_rate > $tolerance', tests: VALIDATE_TESTS },
  { name: 'funding cross-source: stamps matched one way only', file: 'validate/funding_cross_source.sql', find: 'AND abs(epoch_ms(b.event_time) - epoch_ms(a.event_time)) <= $tolerance_ms', replace: 'AND epoch_ms(b.event_time) - epoch_ms(a.event_time) BETWEEN 0 AND $tolerance_ms', tests: VALIDATE_TESTS },
  { name: 'predicted funding: a new next_funding_time does not start a new run', file: 'validate/predicted_funding.sql', find: ' AND next_funding_time IS NOT DISTINCT FROM lag(next_funding_time) OVER w', replace: '', tests: VALIDATE_TESTS },
  { name: 'predicted funding: next_funding_time equal to event_time accepted', file: 'validate/predicted_funding.sql', find: 'next_funding_time <= event_time', replace: 'next_funding_time < event_time', tests: VALIDATE_TESTS },
  { name: 'gaps: a hole of exactly max_gap_bars is a gap', file: 'validate/bars_gaps.sql', find: 'WHEN intervals > $max_gap_bars', replace: 'WHEN intervals >= $max_gap_bars', tests: VALIDATE_TESTS },
  { name: 'outliers: the low excursion ignored', file: 'validate/bars_outliers.sql', find: 'greatest(abs(ln("close" / pc)), abs(ln(high / pc)), abs(ln(low / pc))) AS mv', replace: 'greatest(abs(ln("close" / pc)), abs(ln(high / pc))) AS mv', tests: VALIDATE_TESTS },
  { name: 'outliers: a down move priced at its high', file: 'validate/bars_outliers.sql', find: 'CASE WHEN ln(high / pc) >= -ln(low / pc) THEN high ELSE low END AS extreme', replace: 'high AS extreme', tests: VALIDATE_TESTS },
  { name: 'coverage: perps without a spot reference reported as missing it', file: 'validate/coverage.sql', find: 'FROM pp WHERE $spot_reference AND pp.spot_symbol IS NOT NULL', replace: 'FROM pp WHERE $spot_reference', tests: VALIDATE_TESTS },
];

/** Slow suites run only when the fast tests of the same mutation all pass (a mutation caught early skips them). */
const SLOW = new Set(['test/validate/corruption.test.ts']);

// The original of the file under mutation is kept here until it is restored, so a run killed mid-way
// (spawnSync blocks the signal handlers) is repaired by the next run.
const BACKUP = join(root, '.tmp', 'sql-mutation-backup.json');
function restoreBackup() {
  if (!existsSync(BACKUP)) return;
  const b = JSON.parse(readFileSync(BACKUP, 'utf8'));
  writeFileSync(b.path, b.original);
  rmSync(BACKUP);
  process.stderr.write(`restored ${b.path} left mutated by an interrupted run\n`);
}
restoreBackup();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {
  restoreBackup();
  process.exit(130);
});

// Filter: a substring of "file: name", e.g. `validate/` for the validate mutations only.
const only = process.argv[2];
const results = [];
for (const m of MUTATIONS) {
  if (only && !`${m.file}: ${m.name}`.includes(only)) continue;
  const path = join(root, 'queries', m.file);
  const original = readFileSync(path, 'utf8');
  const at = original.indexOf(m.find);
  if (at < 0 || original.indexOf(m.find, at + 1) >= 0) {
    results.push({ ...m, outcome: 'stale (text not found exactly once)' });
    continue;
  }
  mkdirSync(dirname(BACKUP), { recursive: true });
  writeFileSync(BACKUP, JSON.stringify({ path, original }));
  writeFileSync(path, original.replace(m.find, m.replace));
  const t0 = Date.now();
  try {
    const tests = process.env['PERPKIT_MUTATION_TESTS']?.split(',') ?? m.tests; // quick check against fewer tests
    const stages = [tests.filter((t) => !SLOW.has(t)), tests.filter((t) => SLOW.has(t))].filter((x) => x.length);
    let caught = false;
    for (const stage of stages) {
      const r = spawnSync('npx', ['vitest', 'run', '--bail=1', ...stage], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0) {
        caught = true;
        break;
      }
    }
    results.push({ ...m, outcome: caught ? 'caught' : 'MISSED', seconds: Math.round((Date.now() - t0) / 1000) });
  } finally {
    writeFileSync(path, original);
    rmSync(BACKUP, { force: true });
  }
  const last = results[results.length - 1];
  process.stderr.write(`${last.outcome.padEnd(8)} ${m.file}: ${m.name} (${last.seconds ?? 0} s)\n`);
}
const caught = results.filter((r) => r.outcome === 'caught').length;
const missed = results.filter((r) => r.outcome !== 'caught');
console.log(`\nSQL mutations: ${caught} caught, ${missed.length} missed or stale, of ${results.length}`);
for (const r of missed) console.log(`  ${r.outcome}: ${r.file}: ${r.name}`);
process.exitCode = missed.length ? 1 : 0;
