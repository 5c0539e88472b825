/**
 * Worker thread of perpkit optimize: receives the market data once (shared memory) and the task
 * spec, then runs the jobs it is sent, one at a time, replying with each result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MarketData } from '../../engine/types.js';
import { replyError } from '../worker-pool.js';
import { runJob, type TaskSpec } from './tasks.js';

const { data, spec } = workerData as { data: MarketData; spec: TaskSpec };
parentPort?.on('message', (msg: { job: number } | { stop: true }) => {
  if ('stop' in msg) {
    process.exit(0);
  }
  runJob(data, spec, msg.job).then(
    (r) => parentPort?.postMessage({ ok: true, result: r }),
    (err: unknown) => parentPort?.postMessage({ ok: false, job: msg.job, error: replyError(err) }),
  );
});
