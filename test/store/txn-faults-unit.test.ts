import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitSwaps, META_DIR, recover, stagingDir, type Swap } from '../../src/store/txn.js';
import { tempDir } from '../helpers.js';

/**
 * The crash hooks of the partition swaps, in-process: test/store/crash.test.ts SIGKILLs the CLI at each
 * PERPKIT_FAULT_KILL point, which a mutation run cannot reach (it does not run dist/). Here process.kill is
 * replaced by a function that records the disk at the moment the writer would die and stops the write by
 * throwing; then recover() must finish (after the commit point) or drop (before it) the write, and must never
 * fire a fault point itself.
 */
const meta = (root: string, ...p: string[]): string => join(root, META_DIR, ...p);
function folder(dir: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'part-0.parquet'), text);
  return dir;
}
const text = (dir: string): string | null => (existsSync(join(dir, 'part-0.parquet')) ? readFileSync(join(dir, 'part-0.parquet'), 'utf8') : null);

const TXID = 'tx1';
/** Swap 0 replaces A, swap 1 deletes B, swap 2 appends a file to C. */
function setup(): { root: string; swaps: Swap[]; a: string; b: string; c: string } {
  const root = tempDir();
  const a = folder(join(root, 'bars', 'symbol=A'), 'old A');
  const b = folder(join(root, 'bars', 'symbol=B'), 'old B');
  const c = folder(join(root, 'bars', 'symbol=C'), 'old C');
  const st = stagingDir(root, TXID);
  folder(join(st, 'A'), 'new A');
  writeFileSync(join(st, 'c-part'), 'new C');
  const swaps: Swap[] = [
    { final: a, staged: join(st, 'A'), backup: meta(root, 'trash', TXID, 'A') },
    { final: b, staged: null, backup: meta(root, 'trash', TXID, 'B') },
    { final: join(c, 'part-1.parquet'), staged: join(st, 'c-part'), backup: meta(root, 'trash', TXID, 'C'), add: true },
  ];
  return { root, swaps, a, b, c };
}

class Killed extends Error {}
/** The disk as the writer leaves it when killed: journal files, and the content of A, B and C. */
interface Seen {
  txn: string[];
  a: string | null;
  b: string | null;
  c: string[];
}

function commitUntilKilled(point: string): { seen: Seen | null; root: string; a: string; b: string; c: string; kills: unknown[][] } {
  const s = setup();
  let seen: Seen | null = null;
  const kills: unknown[][] = [];
  const kill = vi.spyOn(process, 'kill').mockImplementation((...args: unknown[]) => {
    kills.push(args);
    seen = { txn: readdirSync(meta(s.root, 'txn')).sort(), a: text(s.a), b: text(s.b), c: readdirSync(s.c).sort() };
    throw new Killed(point);
  });
  process.env['PERPKIT_FAULT_KILL'] = point;
  try {
    commitSwaps(s.root, TXID, s.swaps);
  } catch (e) {
    if (!(e instanceof Killed)) throw e;
  } finally {
    kill.mockRestore();
  }
  return { seen, kills, ...s };
}

afterEach(() => {
  delete process.env['PERPKIT_FAULT_KILL'];
  vi.restoreAllMocks();
});

describe('crash points of commitSwaps', () => {
  const oldAll = { a: 'old A', b: 'old B', c: ['part-0.parquet'] };
  const cases: Array<[string, Seen]> = [
    ['before-journal', { txn: [`${TXID}.json.tmp`], ...oldAll }],
    ['after-journal', { txn: [`${TXID}.json`], ...oldAll }],
    // swap 0 replaces A: the live folder is in the trash, the staged one not yet in place
    ['mid-swap:0', { txn: [`${TXID}.json`], a: null, b: 'old B', c: ['part-0.parquet'] }],
    ['after-swap:0', { txn: [`${TXID}.json`], a: 'new A', b: 'old B', c: ['part-0.parquet'] }],
    // swap 1 deletes B (moved to the trash)
    ['after-swap:1', { txn: [`${TXID}.json`], a: 'new A', b: null, c: ['part-0.parquet'] }],
    // swap 2 appends a part file to C
    ['after-swap:2', { txn: [`${TXID}.json`], a: 'new A', b: null, c: ['part-0.parquet', 'part-1.parquet'] }],
  ];
  /** the point a writer would pass next in the roll-forward that recover() does after a kill at each point */
  const NEXT: Record<string, string> = {
    'before-journal': 'after-journal',
    'after-journal': 'mid-swap:0',
    'mid-swap:0': 'after-swap:0',
    'after-swap:0': 'after-swap:1',
    'after-swap:1': 'after-swap:2',
    'after-swap:2': 'after-swap:2',
  };
  for (const [point, want] of cases) {
    it(`${point}: the writer dies there (SIGKILL of itself), and recover() completes or drops the write`, () => {
      const r = commitUntilKilled(point);
      expect(r.kills).toEqual([[process.pid, 'SIGKILL']]);
      expect(r.seen).toEqual(want);
      // recovery with the fault point set to the next point the roll-forward passes: recover() is not the
      // writer and never kills
      process.env['PERPKIT_FAULT_KILL'] = NEXT[point] as string;
      const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
        throw new Error('recover fired a fault point');
      });
      const rec = recover(r.root);
      kill.mockRestore();
      const committed = point !== 'before-journal';
      expect(rec.rolled_forward).toBe(committed ? 1 : 0);
      expect([text(r.a), text(r.b), readdirSync(r.c).sort()]).toEqual(
        committed ? ['new A', null, ['part-0.parquet', 'part-1.parquet']] : ['old A', 'old B', ['part-0.parquet']],
      );
      expect(readdirSync(meta(r.root, 'txn'))).toEqual([]);
      expect(existsSync(stagingDir(r.root, TXID))).toBe(false);
      expect(existsSync(meta(r.root, 'trash', TXID))).toBe(false);
    });
  }

  it('a point that is never reached, or no point set, lets the write finish without a kill', () => {
    for (const point of ['after-swap:3', 'mid-swap:1', undefined]) {
      const s = setup();
      if (point) process.env['PERPKIT_FAULT_KILL'] = point;
      else delete process.env['PERPKIT_FAULT_KILL'];
      const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
        throw new Error(`killed at ${point}`);
      });
      commitSwaps(s.root, TXID, s.swaps);
      expect(kill).not.toHaveBeenCalled();
      kill.mockRestore();
      expect([text(s.a), text(s.b), readdirSync(s.c).sort()]).toEqual(['new A', null, ['part-0.parquet', 'part-1.parquet']]);
    }
  });
});

describe('commits that leave nothing to clean up', () => {
  it('a write of new partitions only (no backup, so no trash folder) and a delete only (no staging folder) both finish', () => {
    const root = tempDir();
    const st = stagingDir(root, 'tx2');
    folder(join(st, 'N'), 'new N');
    commitSwaps(root, 'tx2', [{ final: join(root, 'bars', 'symbol=N'), staged: join(st, 'N'), backup: meta(root, 'trash', 'tx2', 'N') }]);
    expect(text(join(root, 'bars', 'symbol=N'))).toBe('new N');
    const gone = folder(join(root, 'bars', 'symbol=G'), 'old G');
    commitSwaps(root, 'tx3', [{ final: gone, staged: null, backup: meta(root, 'trash', 'tx3', 'G') }]);
    expect(existsSync(gone)).toBe(false);
    expect([readdirSync(meta(root, 'txn')), readdirSync(meta(root, 'trash')), readdirSync(meta(root, 'staging'))]).toEqual([[], [], []]);
  });
});
