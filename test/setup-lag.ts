import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach } from 'vitest';

/**
 * Event-loop watchdog for every test worker. vitest's worker talks to the main process over an RPC
 * with a fixed 60 s timeout; a test that blocks its worker's event loop for that long (synchronous
 * child processes, long synchronous loops, WebAssembly training) makes vitest report "Timeout calling
 * onTaskUpdate" without naming the test. This names it: a stall over PERPKIT_TEST_STALL_MS (default
 * 20 s) is printed to stderr and appended to $TMPDIR/perpkit-test-stalls.log with the running test.
 */
const limitMs = Number(process.env['PERPKIT_TEST_STALL_MS'] ?? 20_000);
const tickMs = 1_000;
let last = performance.now();
// the tests started recently: the stall belongs to the one running when it began (or any started during it)
const started: Array<{ name: string; at: number }> = [];

beforeEach((ctx) => {
  started.push({ name: `${ctx.task.file?.name ?? '?'} > ${ctx.task.name}`, at: performance.now() });
  if (started.length > 20) started.shift();
});

const timer = setInterval(() => {
  const now = performance.now();
  const stalled = now - last - tickMs;
  last = now;
  if (stalled > limitMs) {
    const from = now - stalled;
    const before = started.filter((t) => t.at <= from).at(-1);
    const during = started.filter((t) => t.at > from);
    const names = [...(before ? [before] : []), ...during].map((t) => t.name).join(' | ') || '(before the first test: module load)';
    const line = `${new Date().toISOString()} event loop blocked ${(stalled / 1000).toFixed(1)} s in: ${names}\n`;
    process.stderr.write(`[perpkit test watchdog] ${line}`);
    try {
      appendFileSync(join(tmpdir(), 'perpkit-test-stalls.log'), line);
    } catch {
      // best effort: the log is a diagnostic
    }
  }
}, tickMs);
timer.unref();
