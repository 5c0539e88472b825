import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles } from '../../src/store/dataset.js';
import { ROOT, tempDir } from '../helpers.js';

describe('interrupt', () => {
  it('SIGINT during a write exits 130 and leaves no partial data', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'fetch', '--source', 'sample', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The bars write stages ~190 partitions; interrupt it once it has begun.
      if (stderr.includes('writing bars') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toContain('SIGINT');
    expect(stdout).toBe('');
    // The bars write either never committed or committed whole; funding was never started.
    expect(await datasetFiles(dir, DATASETS.funding)).toEqual([]);
    const bars = await datasetFiles(dir, DATASETS.bars);
    expect([0, 192]).toContain(bars.length);
  });
});
