/**
 * Logistic regression (IRLS) against an independent fit written here: plain Newton iterations on
 * the penalised log-likelihood with explicit nested loops and Gauss-Jordan inversion, on a fixed
 * synthetic fixture; plus the first-order condition, standard errors from the inverse Hessian,
 * ridge least squares against its closed form, and the three-class one-vs-rest prediction.
 */
import { describe, expect, it } from 'vitest';
import { fitLogistic, fitRidge, LogisticModel } from '../../src/models/logistic.js';
import type { Design } from '../../src/models/model.js';

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

function fixture(n: number, k: number, seed = 3): { X: Design; y: Float64Array; rows: number[][] } {
  const r = lcg(seed);
  const rows: number[][] = [];
  const y = new Float64Array(n);
  const beta = [0.3, 1.2, -0.7, 0.4, 0, 0.2].slice(0, k + 1);
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: k }, () => (r() - 0.5) * 2);
    const eta = beta[0]! + x.reduce((a, v, j) => a + v * beta[j + 1]!, 0);
    y[i] = r() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
    rows.push(x);
  }
  return { X: { rows: n, cols: k, data: Float64Array.from(rows.flat()) }, y, rows };
}

/** Gauss-Jordan inverse of a small dense matrix. */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const d = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

/** Independent penalised Newton fit: returns beta and the inverse Hessian. */
function newton(rows: number[][], y: Float64Array, l2: number): { beta: number[]; cov: number[][] } {
  const p = rows[0]!.length + 1;
  let beta = new Array<number>(p).fill(0);
  let cov: number[][] = [];
  for (let it = 0; it < 100; it++) {
    const H = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const g = new Array<number>(p).fill(0);
    rows.forEach((x0, i) => {
      const x = [1, ...x0];
      const z = x.reduce((a, v, j) => a + v * beta[j]!, 0);
      const mu = 1 / (1 + Math.exp(-z));
      for (let a = 0; a < p; a++) {
        g[a]! += x[a]! * (mu - y[i]!);
        for (let b = 0; b < p; b++) H[a]![b]! += mu * (1 - mu) * x[a]! * x[b]!;
      }
    });
    for (let a = 1; a < p; a++) {
      g[a]! += l2 * beta[a]!;
      H[a]![a]! += l2;
    }
    cov = invert(H);
    const step = cov.map((row) => row.reduce((s, v, j) => s + v * g[j]!, 0));
    beta = beta.map((b, j) => b - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-13) break;
  }
  return { beta, cov };
}

describe('logistic regression (IRLS, L2, intercept)', () => {
  const { X, y, rows } = fixture(600, 5);

  for (const l2 of [0, 1, 25]) {
    it(`matches an independent Newton fit to 1e-6 (coefficients and SEs), l2 = ${l2}`, () => {
      const fit = fitLogistic(X, y, { l2 });
      const ref = newton(rows, y, l2);
      expect(fit.converged).toBe(true);
      for (let j = 0; j < ref.beta.length; j++) {
        expect(Math.abs(fit.beta[j]! - ref.beta[j]!), `beta ${j}`).toBeLessThan(1e-6);
        expect(Math.abs(fit.se[j]! - Math.sqrt(ref.cov[j]![j]!)), `se ${j}`).toBeLessThan(1e-6);
      }
    });
  }

  it('the penalised gradient is zero at the solution and the intercept is not penalised', () => {
    const l2 = 10;
    const fit = fitLogistic(X, y, { l2 });
    const g = new Array<number>(6).fill(0);
    rows.forEach((x0, i) => {
      const x = [1, ...x0];
      const mu = 1 / (1 + Math.exp(-x.reduce((a, v, j) => a + v * fit.beta[j]!, 0)));
      x.forEach((v, a) => (g[a]! += v * (mu - y[i]!)));
    });
    // the intercept's score equation holds without a penalty term: mean(p) = mean(y)
    expect(Math.abs(g[0]!)).toBeLessThan(1e-8);
    for (let a = 1; a < 6; a++) expect(Math.abs(g[a]! + l2 * fit.beta[a]!), `gradient ${a}`).toBeLessThan(1e-8);
    // the penalty shrinks the slopes
    const free = fitLogistic(X, y, { l2: 0 });
    const norm = (b: number[]): number => Math.hypot(...b.slice(1));
    expect(norm(fit.beta)).toBeLessThan(norm(free.beta));
  });

  it('predicts P(y = 1) = sigmoid(intercept + x b) and recovers the planted signs', () => {
    const m = new LogisticModel('binary', { l2: 0 });
    m.fit(X, y);
    const [f] = m.coefficients();
    const p = m.predict({ rows: 1, cols: 5, data: Float64Array.from([0.5, -0.5, 0, 1, 0]) });
    const z = f!.beta[0]! + 0.5 * f!.beta[1]! - 0.5 * f!.beta[2]! + f!.beta[4]!;
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
    expect(f!.beta[1]).toBeGreaterThan(0.6);
    expect(f!.beta[2]).toBeLessThan(-0.3);
    const d = m.describe(['a', 'b', 'c', 'd', 'e']);
    expect(d.importance.map((i) => i.feature)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(d.importance[0]!.value).toBe(f!.beta[1]);
    expect(d.importance[0]!.se).toBe(f!.se[1]);
    expect(d.intercept).toEqual({ value: f!.beta[0], se: f!.se[0] });
    // serialise / load round trip predicts identically
    const again = LogisticModel.load(JSON.parse(JSON.stringify(m.serialise())));
    expect(Array.from(again.predict(X))).toEqual(Array.from(m.predict(X)));
  });

  it('ridge least squares equals (X1^T X1 + l2 P)^-1 X1^T y, SEs scaled by RSS / (n - p)', () => {
    const yr = Float64Array.from(rows, (x, i) => 0.1 + 2 * x[0]! - x[2]! + 0.01 * (i % 7));
    const l2 = 3;
    const fit = fitRidge(X, yr, l2);
    const p = 6;
    const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const b = new Array<number>(p).fill(0);
    rows.forEach((x0, i) => {
      const x = [1, ...x0];
      for (let a = 0; a < p; a++) {
        b[a]! += x[a]! * yr[i]!;
        for (let c = 0; c < p; c++) A[a]![c]! += x[a]! * x[c]!;
      }
    });
    for (let a = 1; a < p; a++) A[a]![a]! += l2;
    const inv = invert(A);
    const beta = inv.map((row) => row.reduce((s, v, j) => s + v * b[j]!, 0));
    let rss = 0;
    rows.forEach((x0, i) => {
      const x = [1, ...x0];
      rss += (yr[i]! - x.reduce((s, v, j) => s + v * beta[j]!, 0)) ** 2;
    });
    for (let j = 0; j < p; j++) {
      expect(Math.abs(fit.beta[j]! - beta[j]!)).toBeLessThan(1e-9);
      expect(Math.abs(fit.se[j]! - Math.sqrt((rss / (600 - p)) * inv[j]![j]!))).toBeLessThan(1e-9);
    }
  });

  it('three-class: P(long) - P(short) from two one-vs-rest fits', () => {
    const y3 = Float64Array.from(rows, (x) => (x[0]! > 0.3 ? 2 : x[0]! < -0.3 ? 0 : 1));
    const m = new LogisticModel('three-class', { l2: 1 });
    m.fit(X, y3);
    const [long, short] = m.coefficients();
    const refLong = fitLogistic(X, Float64Array.from(y3, (v) => (v === 2 ? 1 : 0)), { l2: 1 });
    const refShort = fitLogistic(X, Float64Array.from(y3, (v) => (v === 0 ? 1 : 0)), { l2: 1 });
    expect(long!.beta).toEqual(refLong.beta);
    expect(short!.beta).toEqual(refShort.beta);
    const x = { rows: 2, cols: 5, data: Float64Array.from([0.9, 0, 0, 0, 0, -0.9, 0, 0, 0, 0]) };
    const p = m.predict(x);
    const sig = (z: number): number => 1 / (1 + Math.exp(-z));
    expect(p[0]).toBeCloseTo(sig(long!.beta[0]! + 0.9 * long!.beta[1]!) - sig(short!.beta[0]! + 0.9 * short!.beta[1]!), 12);
    expect(p[0]).toBeGreaterThan(0.5);
    expect(p[1]).toBeLessThan(-0.5);
  });
});
