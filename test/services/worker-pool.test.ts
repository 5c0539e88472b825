import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PerpkitError } from '../../src/domain/errors.js';
import { runPool, workerScript } from '../../src/services/worker-pool.js';

// The worker pool behind optimize and research (src/services/worker-pool.ts), with small inline
// workers: every job's result arrives once, and each way a run can fail stops it with a clear error.

/** An inline worker: squares the job; workerData.fail = { job: { how } } makes that job fail. */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.on('message', ({ job }) => {
  const how = (workerData.fail || {})[job];
  if (how === 'error') return parentPort.postMessage({ ok: false, job, error: { message: 'no data for it', kind: 'missing', hint: 'fetch it first' } });
  if (how === 'plain') return parentPort.postMessage({ ok: false, job, error: { message: 'broke' } });
  if (how === 'exit') process.exit(3);
  if (how === 'throw') throw new Error('thrown in the worker');
  const t = Date.now() + (workerData.slow || 0);
  while (Date.now() < t);
  parentPort.postMessage({ ok: true, result: job * job });
});`;
const script = { entry: SOURCE, eval: true };

describe('worker pool', () => {
  it('runs every job once on each number of workers and reports each result with its job', async () => {
    for (const workers of [1, 2, 3, 8]) {
      const got = new Map<number, number>();
      await runPool<number>({ script, workerData: {}, workers, jobs: [4, 0, 7, 2, 9, 1], label: 'job', name: 'test', onResult: (job, r) => {
        expect(got.has(job)).toBe(false);
        got.set(job, r);
      } });
      expect([...got].sort((a, b) => a[0] - b[0])).toEqual([[0, 0], [1, 1], [2, 4], [4, 16], [7, 49], [9, 81]]);
    }
    // no job: resolves at once
    await runPool<number>({ script, workerData: {}, workers: 2, jobs: [], label: 'job', name: 'test', onResult: () => expect.fail('no result expected') });
  }, 60_000);

  it('stops on a job error (keeping the kind and hint of a PerpkitError), a worker that exits or throws, and a throwing onResult', async () => {
    const run = (fail: Record<number, string>, onResult: (job: number, r: number) => void = () => undefined, name = 'test') =>
      runPool<number>({ script, workerData: { fail }, workers: 2, jobs: [0, 1, 2, 3, 4], label: 'cell', name, onResult });
    const e = await run({ 3: 'error' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PerpkitError);
    expect((e as PerpkitError).kind).toBe('missing');
    expect((e as PerpkitError).message).toBe('cell 3: no data for it');
    expect((e as PerpkitError).hint).toBe('fetch it first');
    const plain = await run({ 1: 'plain' }).catch((x: unknown) => x);
    expect(plain).not.toBeInstanceOf(PerpkitError);
    expect((plain as Error).message).toBe('cell 1: broke');
    await expect(run({ 2: 'exit' })).rejects.toThrow('a test worker exited with code 3');
    await expect(run({ 2: 'exit' }, undefined, 'optimize')).rejects.toThrow('an optimize worker exited with code 3');
    await expect(run({ 4: 'throw' })).rejects.toThrow('thrown in the worker');
    await expect(run({}, (job) => { if (job === 2) throw new Error('onResult failed'); })).rejects.toThrow('onResult failed');
  }, 60_000);

  it('stops with the abort reason (aborted before or during the run) and leaves no listener on the signal', async () => {
    const before = new AbortController();
    before.abort(new Error('cancelled'));
    await expect(runPool<number>({ script, workerData: {}, workers: 2, jobs: [0, 1], label: 'job', name: 'test', signal: before.signal, onResult: () => undefined })).rejects.toThrow('cancelled');
    const during = new AbortController();
    const seen: number[] = [];
    const p = runPool<number>({ script, workerData: { slow: 50 }, workers: 2, jobs: [0, 1, 2, 3, 4, 5, 6, 7], label: 'job', name: 'test', signal: during.signal, onResult: (job) => {
      seen.push(job);
      if (seen.length === 1) during.abort(new Error('interrupted'));
    } });
    await expect(p).rejects.toThrow('interrupted');
    expect(seen.length).toBeLessThan(8);
    const fine = new AbortController();
    await runPool<number>({ script, workerData: {}, workers: 2, jobs: [0, 1, 2], label: 'job', name: 'test', signal: fine.signal, onResult: () => undefined });
    expect(getEventListeners(fine.signal, 'abort')).toHaveLength(0);
  }, 60_000);

  it('names the worker script of a module: the .js file from dist/, the .ts file through a tsx bootstrap from sources', () => {
    const js = workerScript('file:///opt/perpkit/dist/services/research/grid-pool.js', 'grid-worker');
    expect(js.eval).toBe(false);
    expect(String(js.entry)).toBe('file:///opt/perpkit/dist/services/research/grid-worker.js');
    const ts = workerScript('file:///work/p/src/services/optimize/pool.ts', 'worker');
    expect(ts.eval).toBe(true);
    expect(ts.entry).toContain("import('tsx/esm/api')");
    expect(ts.entry).toContain('"file:///work/p/src/services/optimize/worker.ts"');
  });
});
