import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildWithCli, ROOT } from '../helpers.js';

/** Runs the built CLI without blocking the test worker (spawnSync would stall vitest's RPC for a minute). */
export function runCliAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env['PERPKIT_DATA_DIR'];
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

export interface SyntheticFixture {
  root: string;
  split: string;
}

type SyntheticOptions = { effects: string; seed: number; symbols: string; from: string; to: string };

/** The CLI steps of one synthetic fixture under `root` (see buildSynthetic). */
function syntheticSteps(root: string, o: SyntheticOptions): string[][] {
  const steps: string[][] = [
    ['fetch', '--source', 'synthetic', '--symbols', o.symbols, '--from', o.from, '--to', o.to, '--seed', String(o.seed), '--effects', o.effects],
    ['features', '--venue', 'synthetic', '--timeframe', '15m'],
    ['features', '--labels', '--venue', 'synthetic', '--timeframe', '15m', '--label-timeframe', '1m', '--horizons', '15m,1h'],
    ['split', '--name', 'syn', '--scheme', 'holdout', '--venue', 'synthetic', '--timeframe', '15m', '--buffer', '6h'],
  ];
  return steps.map((args) => [...args, '--data-dir', root, '--quiet']);
}

/**
 * A small synthetic venue through the real CLI (dist/ must be built): seeded perps and spots,
 * features on a 15m grid, labels 15m and 1h entered on 1m bars, and a holdout split with a 6 h
 * buffer (the default buffer, longest label + longest lookback, would exceed a 3-week span).
 */
export async function buildSynthetic(dir: string, o: SyntheticOptions): Promise<SyntheticFixture> {
  return (await buildSynthetics([{ dir, ...o }]))[0]!;
}

/**
 * Several fixtures of buildSynthetic, each in its own dir, built by one process: the steps run one
 * after another through oclif as bin/run.js runs them (buildWithCli), so the fixtures pay for one
 * Node, oclif and DuckDB start instead of four each.
 */
export async function buildSynthetics(list: Array<{ dir: string } & SyntheticOptions>): Promise<SyntheticFixture[]> {
  const roots = list.map(({ dir }) => join(dir, 'data'));
  await buildWithCli(list.flatMap(({ dir: _dir, ...o }, k) => syntheticSteps(roots[k]!, o)));
  return roots.map((root) => ({ root, split: 'syn' }));
}

/** Research config for three-week fixtures: daily IC periods so that sign stability has pairs to judge. */
export const SHORT_SPAN_CONFIG = { ic_period: 'day', min_obs_per_period: 20 } as const;
