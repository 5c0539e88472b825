/**
 * Runs jobs (tasks.ts) on N worker threads (N = 1 runs them on the main thread), handing out one
 * job at a time to whichever worker is free, and calls onResult as each finishes (in completion
 * order). The market data is copied into shared memory once and handed to each worker once, at
 * its start: a job message carries only the job number.
 */
import { cpus } from 'node:os';
import type { MarketData } from '../../engine/types.js';
import { runPool, workerScript } from '../worker-pool.js';
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
  await runPool<JobResult>({
    script: workerScript(import.meta.url, 'worker'),
    workerData: { data: toShared(data), spec },
    workers,
    jobs,
    label: 'job',
    name: 'optimize',
    ...(o.signal ? { signal: o.signal } : {}),
    onResult: (_job, r) => o.onResult(r),
  });
}
