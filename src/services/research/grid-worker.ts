/**
 * Worker thread of the research grid (grid-pool.ts): builds the grid index once from the shared
 * panel, then computes the cells of each feature it is sent (job k = features[k]), one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replyError } from '../worker-pool.js';
import { featureCells, gridOf, type GridWorkerData } from './grid-pool.js';

const d = workerData as GridWorkerData;
const ix = gridOf(d);
parentPort?.on('message', (msg: { job: number }) => {
  try {
    parentPort?.postMessage({ ok: true, result: featureCells(ix, d.dims, d.cfg, d.features[msg.job]!, d.horizons) });
  } catch (err) {
    parentPort?.postMessage({ ok: false, job: msg.job, error: replyError(err) });
  }
});
