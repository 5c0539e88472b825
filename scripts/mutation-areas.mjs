// Areas of the StrykerJS mutation runs: what each mutates, the tests that cover it, its kill-rate floor.
// Shared by stryker.config.mjs, vitest.mutation.config.ts, scripts/mutation.mjs and scripts/mutation-floor.mjs.
// `skip`: tests too slow to run once per mutant under Stryker's instrumentation (statistical and benchmark
// workloads of minutes each); the mutants they would kill must be killed by the area's other tests.
// `stats` is the whole of src/stats; the stats-* sub-areas split it so that each run ends (and writes its
// report and incremental state) within a time box on a shared 2-core machine. `npm run test:mutation` with no
// area runs the sub-areas, not `stats` (the same mutants twice).
// The store's in-process tests. Not test/store/crash.test.ts: it SIGKILLs the CLI over dist/, which Stryker does
// not mutate, so it can kill no mutant and costs seconds per run.
const STORE_TESTS = ['test/store/dataset*.test.ts', 'test/store/integrity*.test.ts', 'test/store/queries*.test.ts', 'test/store/*-unit*.test.ts'];
// The dataset writer's tests: the dataset and batch-write tests, and dataset-unit*.test.ts (in-process, small tables).
// Not the other unit tests: those that write go through dataset.ts too, and each covering file costs its load time
// per mutant (Stryker's vitest runner).
const STORE_WRITE_TESTS = ['test/store/dataset*.test.ts', 'test/store/write-batches.test.ts'];
// process.chdir() is not supported in Stryker's vitest workers (the test fails in the dry run); duckdb-unit.test.ts
// checks queriesDir() without it.
const STORE_SKIP = ['finds queries/ from the package, not the working directory'];
const STATS_SKIP = ['is near 0.5 on pure noise', 'runs the benchmark workload'];
/** @type {Record<string, { mutate: string[]; tests: string[]; floor: number; skip?: string[]; union?: boolean }>} */
export const MUTATION_AREAS = {
  stats: {
    mutate: ['src/stats/**/*.ts'],
    tests: ['test/stats/**/*.test.ts', 'test/services/stats-riskfree.test.ts'],
    floor: 80,
    skip: STATS_SKIP,
    union: true,
  },
  // returns, Sharpe ratios, the normal distribution, p-value adjustment
  'stats-core': {
    mutate: ['src/stats/returns.ts', 'src/stats/sharpe.ts', 'src/stats/normal.ts', 'src/stats/multiple-testing.ts'],
    tests: ['test/stats/**/*.test.ts', 'test/services/stats-riskfree.test.ts'],
    floor: 80,
    skip: STATS_SKIP,
  },
  // the research statistics: quantile buckets, IC decay, walk-forward residuals, overlap-aware ranks
  'stats-research': {
    mutate: ['src/stats/buckets.ts', 'src/stats/decay.ts', 'src/stats/incremental.ts', 'src/stats/overlap.ts'],
    tests: ['test/stats/research-stats.test.ts', 'test/stats/research-*.test.ts'],
    floor: 80,
  },
  // descriptive statistics, correlations, ranks and the seeded generators every statistical test draws from
  'stats-descriptive': {
    mutate: ['src/stats/descriptive.ts', 'src/stats/random.ts'],
    tests: ['test/stats/**/*.test.ts'],
    floor: 80,
    skip: STATS_SKIP,
  },
  // information coefficients with overlap-corrected (Newey-West) errors
  'stats-ic': {
    mutate: ['src/stats/ic.ts'],
    tests: ['test/stats/ic*.test.ts'],
    floor: 80,
  },
  // probability of backtest overfitting (CSCV)
  'stats-pbo': {
    mutate: ['src/stats/pbo.ts'],
    tests: ['test/stats/pbo*.test.ts'],
    floor: 80,
    skip: STATS_SKIP,
  },
  store: {
    mutate: ['src/store/**/*.ts'],
    tests: [...STORE_TESTS, ...STORE_WRITE_TESTS, 'test/store/fingerprint.test.ts', 'test/store/columns*.test.ts', 'test/store/stage*.test.ts', 'test/store/query-shape*.test.ts'],
    floor: 80,
    skip: STORE_SKIP,
    union: true,
  },
  // The store in parts that together mutate all of src/store. store-unit is the part with fast in-process
  // tests (test/store/*-unit*.test.ts, a second or two each): the partition swaps and the writer lock, the read
  // side, the ledger, quarantine exclusion and the step runner. Its tests are only the unit tests, so each of
  // its mutants costs seconds, not the ~25 s of the dataset tests that also reach these modules.
  'store-unit': {
    mutate: ['src/store/txn.ts', 'src/store/lockfile.ts', 'src/store/read.ts', 'src/store/ledger.ts', 'src/store/quarantine.ts', 'src/store/steps.ts'],
    tests: ['test/store/*-unit*.test.ts', 'test/store/lockfile.test.ts'],
    floor: 80,
  },
  // dataset.ts (838 lines) in twelve parts by line range (function or statement boundaries), each of 45 to 90
  // mutants: a run of under ~35 min on a shared machine (a mutant costs ~25 s: real DuckDB writes). Re-derive the
  // ranges when dataset.ts changes (node: count the mutants per line with @stryker-mutator/instrumenter; the last
  // split was at 802 lines, after rs2 fingerprints; the ranges were then shifted for checkWritableSpec, 812 lines, and for the one-partition COPY, the
  // validation pre-check and parquetOptions, 843 lines, then 844, then 838 (onOneThread through DuckSession.withThreads; parts 7 to 12 shifted by 6 lines)). Each runs STORE_WRITE_TESTS: the dataset and batch-write tests
  // (real DuckDB writes to Parquet, 0.2 to 4 s each) and test/store/dataset-unit*.test.ts (in-process, a few rows,
  // written to kill what the slow tests miss); not queries*/integrity* (the fetch test in queries.test.ts writes the
  // sample through the whole import path) nor the other unit tests (they reach the writer only through their set-up).
  // 1 partition paths, the time key expression, the checks of one column's values (checksFor)
  'store-write-1': {
    mutate: ['src/store/dataset.ts:1-97'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 2 validateStage: missing and unknown columns, the counts of failing checks and their examples
  'store-write-2': {
    mutate: ['src/store/dataset.ts:98-129'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 3 validateStage: the typed and partition-value checks; writeTable and openWrite
  'store-write-3': {
    mutate: ['src/store/dataset.ts:130-263'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 4 addBatch: the key order, repeated keys, the fresh-batch test, dedupe into __new
  'store-write-4': {
    mutate: ['src/store/dataset.ts:264-316'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 5 addBatch: the touched partitions, the append path, the replace scope, the stored rows, classify
  'store-write-5': {
    mutate: ['src/store/dataset.ts:317-359'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 6 addBatch: the counts, the changed partitions, the merge and replace writes of each partition
  'store-write-6': {
    mutate: ['src/store/dataset.ts:360-425'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 7 onOneThread, partition values and claims, keyOrder, freshBatch up to its partitioned COPY
  'store-write-7': {
    mutate: ['src/store/dataset.ts:426-496'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 8 freshBatch: the one-partition COPY, moving the partitions of a partitioned COPY into the staging,
  // partitionedCopy, parquetOptions; the commit and its counts (commitWrite)
  'store-write-8': {
    mutate: ['src/store/dataset.ts:497-596'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 9 writeRows (the row checks) and writeStaged
  'store-write-9': {
    mutate: ['src/store/dataset.ts:597-650'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 10 the read side: Parquet files of a folder, listOf, datasetFiles, partition pruning by key
  'store-write-10': {
    mutate: ['src/store/dataset.ts:651-708'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 11 the read side: pruning by month/date and the final order, recovery by readers
  'store-write-11': {
    mutate: ['src/store/dataset.ts:709-746'],
    tests: STORE_WRITE_TESTS,
    floor: 80,
  },
  // 12 contentHash and contentFingerprint (rs1, rs2, the per-process cache)
  'store-write-12': {
    mutate: ['src/store/dataset.ts:747-838'],
    tests: [...STORE_WRITE_TESTS, 'test/store/fingerprint.test.ts'],
    floor: 80,
  },
  // the row stage (appender into a temp table) and the column source (typed arrays as a table function): only their
  // own tests (test/store/stage-unit.test.ts, columns*.test.ts, under a second each); not the dataset tests, which
  // reach every line of the stage through writeRows at ~25 s a mutant and check it only indirectly
  'store-stage': {
    mutate: ['src/store/stage.ts', 'src/store/columns.ts'],
    tests: ['test/store/columns*.test.ts', 'test/store/stage*.test.ts'],
    floor: 80,
  },
  // the query loader, the DuckDB session and the Parquet integrity check and file quarantine: only the tests of
  // these three modules (queries, query-shape: it was in no store area, integrity, duckdb-unit). Every other store
  // test reaches the session and the loader too, and Stryker's vitest runner loads each covering test file per
  // mutant: with the dataset and unit tests a mutant cost ~20 s, a 459-mutant run over an hour.
  // The chdir test of queries.test.ts is skipped (process.chdir() is not supported in Stryker's workers).
  'store-read': {
    mutate: ['src/store/queries.ts', 'src/store/duckdb.ts', 'src/store/integrity.ts'],
    tests: ['test/store/queries*.test.ts', 'test/store/query-shape*.test.ts', 'test/store/integrity*.test.ts', 'test/store/duckdb*.test.ts'],
    floor: 80,
    skip: STORE_SKIP,
  },
  // Only the deterministic split tests: the three property tests over random configurations take 12 to 94 s
  // each (about 30 s per mutant), so the boundary rules must be pinned by the deterministic cases.
  // (combinations() used to be left out: Stryker 9 printed its `(c[i] as number)++` back as a syntax error;
  // the line is now `c[i] = (c[i] as number) + 1` and the whole file is mutated. The 94.0% of the README was
  // measured before that, without combinations().)
  split: {
    mutate: ['src/domain/split.ts'],
    tests: ['test/domain/split*.test.ts'],
    floor: 80,
    skip: ['split properties over random configurations'],
  },
  engine: {
    mutate: ['src/engine/**/*.ts'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
    union: true,
  },
  // The engine in sub-areas that together mutate all of src/engine, each within a time box on a shared machine.
  // The parts with unit tests of their own: costs, funding, the order book, the risk controls.
  'engine-parts': {
    mutate: ['src/engine/costs.ts', 'src/engine/funding.ts', 'src/engine/orders.ts', 'src/engine/risk.ts'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
  // the event clock (k-way merge), the reuse caches, the portfolio, the output columns
  'engine-support': {
    mutate: ['src/engine/clock.ts', 'src/engine/reuse.ts', 'src/engine/portfolio.ts', 'src/engine/columns.ts', 'src/engine/types.ts'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
  // engine.ts (1450 lines) in four parts by line range, each a run of under ~25 min on a shared machine:
  // 1 the set-up, the event loop and bars/marks/rolling windows; 2 order matching (bars, quotes, trades);
  // 3 fees, funding, margin, liquidation and the kill switch; 4 decisions, orders, the strategy context, results
  'engine-core-1': {
    mutate: ['src/engine/engine.ts:1-551'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
  'engine-core-2': {
    mutate: ['src/engine/engine.ts:552-829'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
  'engine-core-3': {
    mutate: ['src/engine/engine.ts:830-1199'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
  'engine-core-4': {
    mutate: ['src/engine/engine.ts:1200-1451'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
};

/** The areas `npm run test:mutation` runs when none is named: every area except the unions of sub-areas. */
export const DEFAULT_AREAS = Object.keys(MUTATION_AREAS).filter((a) => !MUTATION_AREAS[a].union);
