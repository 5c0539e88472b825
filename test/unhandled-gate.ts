import type { Reporter } from 'vitest/reporters';

/**
 * Fails the run on every unhandled error except vitest's own worker-RPC timeout ("Timeout calling
 * onTaskUpdate" and the like), which vitest.config.ts lets through with dangerouslyIgnoreUnhandledErrors:
 * that one says a worker's event loop was blocked for 60 s on a loaded machine (test/setup-lag.ts
 * names the test), not that the code is wrong. Any other unhandled error still turns the run red.
 */
const RPC_TIMEOUT = /^\[vitest-(worker|pool|api)\]: Timeout calling "/;

export default class UnhandledGate implements Reporter {
  onTestRunEnd(_modules: unknown, errors: ReadonlyArray<{ message?: string }>): void {
    const real = errors.filter((e) => !RPC_TIMEOUT.test(String(e?.message ?? '')));
    const ignored = errors.length - real.length;
    if (ignored > 0) process.stderr.write(`[unhandled-gate] ${ignored} vitest worker-RPC timeout(s) ignored (a blocked worker; see $TMPDIR/perpkit-test-stalls.log)\n`);
    if (real.length > 0) {
      process.stderr.write(`[unhandled-gate] ${real.length} unhandled error(s): the run fails\n`);
      process.exitCode = 1;
    }
  }
}
