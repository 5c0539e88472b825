/**
 * XGBoost adapter smoke test: trains on a fixed synthetic set twice (and once more from a fresh
 * model) and asserts bit-identical predictions; the serialised model reloads to the same
 * predictions; gain importance (parsed from the saved binary model) ranks the planted feature first.
 */
import { describe, expect, it } from 'vitest';
import { createXGBoost, loadXGBoost, XGBoostModel } from '../../src/models/xgboost.js';

function dataset(n: number, k: number): { X: { rows: number; cols: number; data: Float64Array }; y: Float64Array } {
  let s = 11;
  const r = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  const data = new Float64Array(n * k);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) data[i * k + j] = r();
    y[i] = 2 * data[i * k + 3]! + 0.5 * data[i * k + 1]! + 0.4 * r() > 0 ? 1 : 0;
  }
  return { X: { rows: n, cols: k, data }, y };
}

describe('ml-xgboost adapter', () => {
  it('loads the wasm once and shares it', async () => {
    const a = loadXGBoost();
    const b = loadXGBoost();
    expect(a).toBe(b);
    expect(typeof (await a)).toBe('function');
  });

  it('identical predictions across runs; serialise/load round trip; gain on the planted feature', async () => {
    const { X, y } = dataset(1500, 6);
    const run = async (): Promise<Float64Array> => {
      const m = await createXGBoost('binary', { trees: 30, max_depth: 3 });
      m.fit(X, y);
      const p = m.predict(X);
      m.dispose();
      return p;
    };
    const p1 = await run();
    const p2 = await run();
    expect(Array.from(p2)).toEqual(Array.from(p1));
    // it learnt something: probabilities in (0, 1) that separate the classes
    let hit = 0;
    p1.forEach((p, i) => (hit += (p > 0.5 ? 1 : 0) === y[i] ? 1 : 0));
    expect(hit / y.length).toBeGreaterThan(0.85);
    const m = await createXGBoost('binary', { trees: 30, max_depth: 3 });
    m.fit(X, y);
    const s = JSON.parse(JSON.stringify(m.serialise()));
    const d = m.describe(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    m.dispose();
    const back = XGBoostModel.load(await loadXGBoost(), s);
    expect(Array.from(back.predict(X))).toEqual(Array.from(p1));
    back.dispose();
    expect(d.importance_kind).toBe('gain');
    const gains = d.importance.map((x) => x.value);
    expect(gains.every((g) => Number.isFinite(g) && g >= 0)).toBe(true);
    const order = [...gains.keys()].sort((a, b) => gains[b]! - gains[a]!);
    expect(order.slice(0, 2)).toEqual([3, 1]);
    expect(gains[3]!).toBeGreaterThan(5 * gains[0]!);
  }, 120_000);

  it('three-class predicts P(long) - P(short) in [-1, 1]; regression predicts the mean', async () => {
    const { X, y } = dataset(600, 6);
    const y3 = Float64Array.from(y, (v, i) => (v === 1 ? (X.data[i * 6 + 3]! > 0.2 ? 2 : 1) : 0));
    const m = await createXGBoost('three-class', { trees: 10, max_depth: 2 });
    m.fit(X, y3);
    const p = m.predict(X);
    m.dispose();
    expect(p.every((v) => v >= -1 && v <= 1)).toBe(true);
    let up = 0;
    let down = 0;
    p.forEach((v, i) => (y3[i] === 2 ? (up += v) : y3[i] === 0 ? (down += v) : 0));
    expect(up).toBeGreaterThan(0);
    expect(down).toBeLessThan(0);
    const r = await createXGBoost('regression', { trees: 50, max_depth: 2 });
    const yr = Float64Array.from({ length: 600 }, () => 3);
    r.fit(X, yr);
    const pr = r.predict(X);
    r.dispose();
    expect(Math.abs(pr[0]! - 3)).toBeLessThan(0.05);
  }, 120_000);
});
