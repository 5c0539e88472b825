// StrykerJS over one area of src/ at a time (scripts/mutation-areas.mjs), chosen by PERPKIT_MUTATION_AREA.
// Run through `npm run test:mutation [-- AREA...]` (scripts/mutation.mjs), which also checks the floors.
import process from 'node:process';
import { MUTATION_AREAS } from './scripts/mutation-areas.mjs';

const name = process.env['PERPKIT_MUTATION_AREA'] ?? 'stats';
const area = MUTATION_AREAS[name];
if (!area) throw new Error(`unknown PERPKIT_MUTATION_AREA ${name}; known: ${Object.keys(MUTATION_AREAS).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  // PERPKIT_MUTATION_FILES (comma-separated globs, `file:from-to` line ranges allowed): a time-boxed subset of the area
  mutate: process.env['PERPKIT_MUTATION_FILES'] ? process.env['PERPKIT_MUTATION_FILES'].split(',') : area.mutate,
  coverageAnalysis: 'perTest',
  // the machines are shared (2 cores): one test process at a time
  concurrency: Number(process.env['PERPKIT_MUTATION_CONCURRENCY'] ?? 1),
  // on top of twice the dry-run time of the covering tests; an infinite-loop mutant costs this plus a worker restart
  timeoutMS: 5_000,
  // mutants of module-level code (constants, tables) need a fresh module load and every test per mutant: 17% of
  // the stats mutants took 76% of the time. They are reported as ignored and left out of the kill rate.
  ignoreStatic: true,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['json', 'html', 'clear-text', 'progress-append-only'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // one sandbox folder per area (under the ignored reports/), so that two areas can run at once without one's
  // cleanup removing the other's sandbox
  tempDirName: `reports/mutation/tmp-${name}`,
  cleanTempDir: true,
  // the sandbox needs sources, tests, fixtures and queries, not build output, data or reports
  ignorePatterns: ['dist', 'reports', '.stryker-tmp', 'bench/results', 'data/*', '!data/sample', 'coverage', '.scratch', '.tmp', '.perpkit-tmp'],
  thresholds: { high: 90, low: area.floor, break: null },
};
