/**
 * Worker thread of the feature engine: computes one symbol's columns from its inputs (computeSymbol)
 * per message and sends them back, the arrays moved, not copied. See symbol-pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { replyError } from '../worker-pool.js';
import { computeSymbol, type SymbolInputs } from './symbol.js';

parentPort?.on('message', (m: { inputs: SymbolInputs; reuse?: Float64Array[] }) => {
  try {
    const result = computeSymbol(m.inputs, m.reuse);
    parentPort?.postMessage({ ok: true, result }, result.out.map((a) => a.buffer as ArrayBuffer));
  } catch (err) {
    parentPort?.postMessage({ ok: false, job: 0, error: replyError(err) });
  }
});
