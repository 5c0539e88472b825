#!/usr/bin/env node
// Kill-rate floors of the StrykerJS runs: reads reports/mutation/<area>.json (mutation-testing-report-schema)
// for each area given (default: every area with a report), prints killed / survived / no coverage / kill rate,
// and exits 1 when an area is below its floor (scripts/mutation-areas.mjs) or an area asked for has no report.
// Kill rate = (killed + timeout) / (killed + timeout + survived + no coverage): Stryker's mutation score;
// compile errors, runtime errors and ignored mutants are left out.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTATION_AREAS } from './mutation-areas.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = (a) => join(root, 'reports', 'mutation', `${a}.json`);
const asked = process.argv.slice(2);
const areas = asked.length ? asked : Object.keys(MUTATION_AREAS).filter((a) => existsSync(report(a)));
let failed = false;
if (areas.length === 0) {
  console.error('no mutation report under reports/mutation/: run npm run test:mutation first');
  process.exit(1);
}
for (const a of areas) {
  const spec = MUTATION_AREAS[a];
  if (!spec) {
    console.error(`unknown area ${a}; known: ${Object.keys(MUTATION_AREAS).join(', ')}`);
    failed = true;
    continue;
  }
  if (!existsSync(report(a))) {
    console.error(`${a}: no report at ${report(a)}`);
    failed = true;
    continue;
  }
  const json = JSON.parse(readFileSync(report(a), 'utf8'));
  const n = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  const byFile = [];
  for (const [file, f] of Object.entries(json.files ?? {})) {
    const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
    for (const m of f.mutants ?? []) {
      if (m.status in c) c[m.status]++;
      else n.other++;
    }
    for (const k of Object.keys(c)) n[k] += c[k];
    const valid = c.Killed + c.Timeout + c.Survived + c.NoCoverage;
    byFile.push({ file, valid, rate: valid ? (100 * (c.Killed + c.Timeout)) / valid : 100, survived: c.Survived + c.NoCoverage });
  }
  const valid = n.Killed + n.Timeout + n.Survived + n.NoCoverage;
  const rate = valid ? (100 * (n.Killed + n.Timeout)) / valid : 0;
  const ok = valid > 0 && rate >= spec.floor;
  if (!ok) failed = true;
  console.log(
    `${ok ? 'ok  ' : 'LOW '} ${a.padEnd(7)} kill rate ${rate.toFixed(1)}% (floor ${spec.floor}%): ${n.Killed} killed, ${n.Timeout} timeout, ${n.Survived} survived, ${n.NoCoverage} no coverage; ${n.other} not counted (compile/runtime error, ignored)`,
  );
  for (const f of byFile.sort((x, y) => x.rate - y.rate)) {
    if (f.survived) console.log(`       ${f.rate.toFixed(1).padStart(5)}%  ${f.file} (${f.survived} of ${f.valid} alive)`);
  }
}
process.exit(failed ? 1 : 0);
