import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/services/report/schema.js';
import { runCli, tempDir, testContext } from '../helpers.js';
import { syntheticBacktest, writeBacktestRun } from '../report/fixtures.js';

describe('perpkit report (CLI)', () => {
  it('prints the path and three lines; --json gives the result; the file validates', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const d = syntheticBacktest(24 * 40);
    await writeBacktestRun(ctx, root, d);
    const r = runCli(['report', '--run', d.run_id, '--data-dir', root, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const path = join(root, 'reports', `backtest-${d.run_id}.json`);
    expect(lines[0]).toBe(path);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^Sharpe -?\d+\.\d\d, PSR \d+\.\d%, Deflated Sharpe \d+\.\d% over 1 ledger trial\(s\)$/);
    expect(ReportSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).run_card.run_id).toBe(d.run_id);
    const out = join(root, 'x', 'page.md');
    const j = runCli(['report', '--latest', '--data-dir', root, '--format', 'md', '--out', out, '--json']);
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as { path: string; kind: string; charts: number; files: string[]; summary: string[] };
    expect(doc).toMatchObject({ path: out, kind: 'backtest', charts: 10 });
    expect(doc.files).toHaveLength(11);
    for (const f of doc.files) expect(existsSync(f), f).toBe(true);
    expect(doc.summary).toHaveLength(3);
  }, 120_000);
});
