#!/usr/bin/env node
// npm run test:mutation [-- AREA ...]: StrykerJS (incremental) over each area of scripts/mutation-areas.mjs in
// turn (default: all of them), then the kill-rate floors (scripts/mutation-floor.mjs) over the areas run.
// Slow: not part of `npm test`. Reports: reports/mutation/<area>.{json,html}; incremental state next to them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AREAS, MUTATION_AREAS } from './mutation-areas.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const areas = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_AREAS;
for (const a of areas) {
  if (!MUTATION_AREAS[a]) {
    console.error(`unknown area ${a}; known: ${Object.keys(MUTATION_AREAS).join(', ')}`);
    process.exit(2);
  }
}
for (const a of areas) {
  process.stderr.write(`\n== stryker: ${a} (${MUTATION_AREAS[a].mutate.join(', ')})\n`);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { cwd: root, stdio: 'inherit', env: { ...process.env, PERPKIT_MUTATION_AREA: a } });
  if (r.status !== 0) {
    console.error(`stryker failed on area ${a} (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}
const f = spawnSync(process.execPath, [join(root, 'scripts', 'mutation-floor.mjs'), ...areas], { cwd: root, stdio: 'inherit' });
process.exit(f.status ?? 1);
