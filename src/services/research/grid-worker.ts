/**
 * Worker thread of the research grid (grid-pool.ts): builds the grid index once from the shared
 * panel, then computes the cells of each group of features it is sent (job k = groups[k]: features
 * with the same missing rows, which share their label ranks), one feature at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replyError } from '../worker-pool.js';
import { featureCells, gridOf, type GridWorkerData } from './grid-pool.js';

const d = workerData as GridWorkerData;
const ix = gridOf(d);
parentPort?.on('message', (msg: { job: number }) => {
  try {
    parentPort?.postMessage({ ok: true, result: d.groups[msg.job]!.map((k) => featureCells(ix, d.dims, d.cfg, d.features[k]!, d.horizons)) });
  } catch (err) {
    parentPort?.postMessage({ ok: false, job: msg.job, error: replyError(err) });
  }
});
