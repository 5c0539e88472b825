// Areas of the StrykerJS mutation runs: what each mutates, the tests that cover it, its kill-rate floor.
// Shared by stryker.config.mjs, vitest.mutation.config.ts, scripts/mutation.mjs and scripts/mutation-floor.mjs.
// `skip`: tests too slow to run once per mutant under Stryker's instrumentation (statistical and benchmark
// workloads of minutes each); the mutants they would kill must be killed by the area's other tests.
/** @type {Record<string, { mutate: string[]; tests: string[]; floor: number; skip?: string[] }>} */
export const MUTATION_AREAS = {
  stats: {
    mutate: ['src/stats/**/*.ts'],
    tests: ['test/stats/**/*.test.ts', 'test/services/stats-riskfree.test.ts'],
    floor: 80,
    skip: ['is near 0.5 on pure noise', 'runs the benchmark workload'],
  },
  store: {
    mutate: ['src/store/**/*.ts'],
    tests: ['test/store/**/*.test.ts'],
    floor: 80,
  },
  split: {
    mutate: ['src/domain/split.ts'],
    tests: ['test/domain/split.test.ts'],
    floor: 80,
  },
  engine: {
    mutate: ['src/engine/**/*.ts'],
    tests: ['test/engine/**/*.test.ts'],
    floor: 80,
  },
};
