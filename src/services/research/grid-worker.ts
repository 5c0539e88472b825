/**
 * Worker thread of the research grid (grid-pool.ts): builds the grid index once from the shared
 * panel, then computes the cells of each feature it is sent, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { featureCells, gridOf, type GridWorkerData, type GridWorkerReply } from './grid-pool.js';

const d = workerData as GridWorkerData;
const ix = gridOf(d);
parentPort?.on('message', (msg: { job: number; feature: string }) => {
  let reply: GridWorkerReply;
  try {
    reply = { ok: true, job: msg.job, cells: featureCells(ix, d.dims, d.cfg, msg.feature, d.horizons) };
  } catch (err) {
    reply = { ok: false, job: msg.job, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
