/**
 * Runs jobs (tasks.ts) on N worker threads (N = 1 runs them on the main thread), handing out one
 * job at a time to whichever worker is free, and calls onResult as each finishes (in completion
 * order). The market data is copied into shared memory once and handed to each worker once, at
 * its start: a job message carries only the job number.
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PerpkitError } from '../../domain/errors.js';
import type { MarketData } from '../../engine/types.js';
import { runJob, toShared, type JobResult, type TaskSpec } from './tasks.js';

export const defaultWorkers = (): number => Math.max(1, cpus().length);

export async function runJobs(
  data: MarketData,
  spec: TaskSpec,
  jobs: number[],
  o: { workers: number; signal?: AbortSignal; onResult: (r: JobResult) => void },
): Promise<void> {
  const workers = Math.max(1, Math.min(o.workers, jobs.length));
  if (jobs.length === 0) return;
  if (workers === 1) {
    for (const t of jobs) {
      if (o.signal?.aborted) throw o.signal.reason;
      o.onResult(await runJob(data, spec, t));
      // let signal handlers and progress run between jobs
      await new Promise((r) => setImmediate(r));
    }
    return;
  }
  const shared = toShared(data);
  // From dist/ the worker is worker.js; from sources (tests, benches under tsx) it is worker.ts,
  // loaded through a small bootstrap that registers tsx in the worker first.
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  const entry: URL | string = fromSource ? `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });` : url;
  const queue = [...jobs];
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const feed = (w: Worker): void => {
        if (failed) return;
        if (o.signal?.aborted) return fail(o.signal.reason);
        const t = queue.shift();
        if (t === undefined) {
          if (running === 0) resolve();
          return;
        }
        running++;
        w.postMessage({ job: t });
      };
      for (let i = 0; i < workers; i++) {
        const w = new Worker(entry, { workerData: { data: shared, spec }, eval: fromSource });
        pool.push(w);
        w.on('message', (m: { ok: true; result: JobResult } | { ok: false; job: number; error: { message: string; kind?: string; hint?: string } }) => {
          running--;
          if (!m.ok) {
            const e = m.error.kind ? new PerpkitError(m.error.kind as never, `job ${m.job}: ${m.error.message}`, m.error.hint ? { hint: m.error.hint } : {}) : new Error(`job ${m.job}: ${m.error.message}`);
            return fail(e);
          }
          try {
            o.onResult(m.result);
          } catch (err) {
            return fail(err);
          }
          feed(w);
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`an optimize worker exited with code ${code}`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
