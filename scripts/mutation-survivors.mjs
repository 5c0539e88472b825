#!/usr/bin/env node
// Lists the surviving and uncovered mutants of an area's last StrykerJS report (reports/mutation/<area>.json):
// file:line:column, mutator, status and the replacement, to judge each one (a test gap, or an equivalent mutant
// to list in docs/mutation.md with its reason).   node scripts/mutation-survivors.mjs AREA [FILE-SUBSTRING]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [area, only] = process.argv.slice(2);
if (!area) {
  console.error('usage: node scripts/mutation-survivors.mjs AREA [FILE-SUBSTRING]');
  process.exit(2);
}
const json = JSON.parse(readFileSync(join(root, 'reports', 'mutation', `${area}.json`), 'utf8'));
for (const [file, f] of Object.entries(json.files ?? {})) {
  if (only && !file.includes(only)) continue;
  for (const m of f.mutants ?? []) {
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
    const repl = String(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 100);
    console.log(`${at} ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no coverage)' : ''}: ${repl}`);
  }
}
