import { defineConfig } from 'vitest/config';
import { MUTATION_AREAS } from './scripts/mutation-areas.mjs';

/**
 * Vitest config of the StrykerJS runs (npm run test:mutation): only the unit and service tests of
 * the area being mutated (PERPKIT_MUTATION_AREA), never the CLI tests (they run dist/, which
 * Stryker does not mutate) nor slow end-to-end suites.
 */
const area = MUTATION_AREAS[process.env['PERPKIT_MUTATION_AREA'] ?? 'stats'];
if (!area) throw new Error(`unknown PERPKIT_MUTATION_AREA ${process.env['PERPKIT_MUTATION_AREA']}; known: ${Object.keys(MUTATION_AREAS).join(', ')}`);

export default defineConfig({
  test: {
    include: area.tests,
    ...(area.skip?.length ? { testNamePattern: new RegExp(`^(?!.*(?:${area.skip.map((x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')}))`) } : {}),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
