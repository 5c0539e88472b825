import { Worker } from 'node:worker_threads';
import { PerpkitError } from '../../domain/errors.js';
import { workerScript, type PoolReply } from '../worker-pool.js';
import type { SymbolInputs, SymbolResult } from './symbol.js';

/**
 * One worker thread computing symbols one after another (computeSymbol), so that the main thread
 * stays free for the store's write of the symbol before (the DuckDB scan of the column source is
 * served on the main thread). A job's inputs are moved to the worker (their arrays are unusable
 * here afterwards) and its columns moved back. A failure (the job's error, the worker dying) rejects
 * the job in progress and every later one.
 */
export class SymbolWorker {
  /** jobs sent to feature workers in this process (for tests: which path computed a build) */
  static jobs = 0;
  private readonly worker: Worker;
  private readonly queue: Array<{ resolve: (r: SymbolResult) => void; reject: (e: unknown) => void }> = [];
  private failure: unknown = null;

  constructor() {
    const script = workerScript(import.meta.url, 'symbol-worker');
    this.worker = new Worker(script.entry, { eval: script.eval });
    this.worker.on('message', (m: PoolReply<SymbolResult>) => {
      const job = this.queue.shift();
      if (!job) return;
      if (m.ok) job.resolve(m.result);
      else job.reject(m.error.kind ? new PerpkitError(m.error.kind as never, m.error.message, m.error.hint ? { hint: m.error.hint } : {}) : new Error(`features worker: ${m.error.message}`));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`the features worker exited with code ${code}`));
    });
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    for (const job of this.queue.splice(0)) job.reject(err);
  }

  /**
   * Computes one symbol in the worker; the inputs' arrays move there, and so do the arrays of `reuse`
   * (columns already written, recycled for this symbol's).
   */
  run(inputs: SymbolInputs, reuse?: Float64Array[]): Promise<SymbolResult> {
    if (this.failure) return Promise.reject(this.failure);
    SymbolWorker.jobs++;
    return new Promise<SymbolResult>((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.worker.postMessage(reuse ? { inputs, reuse } : { inputs }, transferList(reuse ? { ...inputs, reuse } : inputs));
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** Every distinct buffer under the inputs' series (a series may appear twice, e.g. BTC's own bars). */
function transferList(inputs: SymbolInputs & { reuse?: Float64Array[] }): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number): void => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
    } else if (v && typeof v === 'object' && depth < 2) for (const x of Object.values(v)) visit(x, depth + 1);
  };
  visit(inputs, 0);
  return [...out];
}
