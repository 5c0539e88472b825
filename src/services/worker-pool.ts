/**
 * A pool of worker threads running numbered jobs, one at a time per worker, handed to whichever
 * worker is free (optimize's grid cells, research's features). A worker is sent `{ job }` and
 * replies `{ ok: true, result }` or `{ ok: false, job, error }`; its start data (workerData) is sent
 * once. The first failure (a job's error, a worker that dies, the abort signal) stops the pool and
 * rejects; every worker is terminated either way.
 */
import { Worker } from 'node:worker_threads';
import { PerpkitError } from '../domain/errors.js';

export type PoolReply<R> = { ok: true; result: R } | { ok: false; job: number; error: { message: string; kind?: string; hint?: string } };

/** A zeroed array of n doubles in shared memory (workers read it in place). */
export function sharedArray(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * Float64Array.BYTES_PER_ELEMENT));
}

/** An array in shared memory: itself when it is one already, else a copy (sharedCopy). */
export const inShared = (a: Float64Array): Float64Array => (a.buffer instanceof SharedArrayBuffer ? a : sharedCopy(a));

/** A copy of a typed array in shared memory: workers started with it read it in place, no copy each. */
export function sharedCopy<T extends Float64Array | Uint16Array>(a: T): T {
  const ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new ctor(new SharedArrayBuffer(a.length * ctor.BYTES_PER_ELEMENT));
  out.set(a);
  return out;
}

/** A job's error as a worker sends it (the kind and hint of a PerpkitError survive the thread hop). */
export function replyError(err: unknown): { message: string; kind?: string; hint?: string } {
  return err instanceof Error ? { message: err.message, kind: (err as { kind?: string }).kind, hint: (err as { hint?: string }).hint } : { message: String(err) };
}

/**
 * The worker script `name` beside the module at metaUrl: from dist/ the .js file; from sources
 * (tests, benches under tsx) the .ts file, loaded through a small bootstrap that registers tsx in
 * the worker first.
 */
export function workerScript(metaUrl: string, name: string): { entry: URL | string; eval: boolean } {
  const fromSource = metaUrl.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, metaUrl);
  return fromSource ? { entry: `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, eval: true } : { entry: url, eval: false };
}

export async function runPool<R>(o: {
  script: { entry: URL | string; eval: boolean };
  workerData: unknown;
  workers: number;
  jobs: readonly number[];
  /** names the jobs in errors: "<label> <job>: ..." */
  label: string;
  /** names the workers in errors: "an <name> worker exited ..." */
  name: string;
  signal?: AbortSignal;
  /** called in completion order; a throw stops the pool */
  onResult: (job: number, result: R) => void;
}): Promise<void> {
  const queue = [...o.jobs];
  const pool: Worker[] = [];
  const current = new Map<Worker, number>();
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
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
          if (current.size === 0) resolve();
          return;
        }
        current.set(w, t);
        w.postMessage({ job: t });
      };
      onAbort = (): void => fail(o.signal?.reason);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      for (let i = 0; i < Math.max(1, Math.min(o.workers, queue.length)); i++) {
        const w = new Worker(o.script.entry, { workerData: o.workerData, eval: o.script.eval });
        pool.push(w);
        w.on('message', (m: PoolReply<R>) => {
          const job = current.get(w) as number;
          current.delete(w);
          if (!m.ok) {
            const text = `${o.label} ${m.job}: ${m.error.message}`;
            return fail(m.error.kind ? new PerpkitError(m.error.kind as never, text, m.error.hint ? { hint: m.error.hint } : {}) : new Error(text));
          }
          try {
            o.onResult(job, m.result);
          } catch (err) {
            return fail(err);
          }
          feed(w);
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`${/^[aeiou]/i.test(o.name) ? 'an' : 'a'} ${o.name} worker exited with code ${code}`));
        });
        feed(w);
      }
    });
  } finally {
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
