import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import type { Design, FitOptions, Model, ModelDescription, Objective, SerialisedModel } from './model.js';

/**
 * L2-regularised logistic regression with an intercept, fitted by IRLS (Newton's method on the
 * penalised log-likelihood), and ridge least squares for the return target (the same normal
 * equations with unit working weights: one step). Three-class: two one-vs-rest fits (long vs
 * rest, short vs rest); the prediction is P(long) - P(short).
 *
 * Objective (binary): -sum_i w_i [y_i log p_i + (1 - y_i) log(1 - p_i)] + l2/2 ||b||^2, the
 * intercept not penalised. Standard errors: sqrt of the diagonal of the inverse penalised
 * Hessian at the optimum (the observed information; for l2 = 0 the usual MLE SEs). For the
 * return target the inverse is scaled by the residual variance RSS / (n - p).
 */

export interface LogisticParams {
  l2: number;
  /** Newton iterations at most */
  max_iter: number;
  /** stop when the largest coefficient change is below this */
  tol: number;
}

export interface LinearFit {
  /** [intercept, b_1..b_k] */
  beta: number[];
  se: number[];
  iterations: number;
  converged: boolean;
}

const DEFAULTS: LogisticParams = { l2: 1, max_iter: 50, tol: 1e-10 };

/** The design transposed to columns (one contiguous array per feature), for the dot products below. */
function columnsOf(X: Design): Float64Array[] {
  const cols = Array.from({ length: X.cols }, () => new Float64Array(X.rows));
  for (let i = 0; i < X.rows; i++) {
    const off = i * X.cols;
    for (let j = 0; j < X.cols; j++) cols[j]![i] = X.data[off + j]!;
  }
  return cols;
}

function dot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * H = X1' diag(h) X1 + l2 P and g = X1' r + l2 P beta for the design with a leading column of ones
 * (X1), P = diag(0, 1, ..., 1): one dot product over the rows per pair of columns (contiguous
 * columns, four accumulators).
 */
function normalEquations(cols: Float64Array[], n: number, h: Float64Array, r: Float64Array, beta: Float64Array, l2: number): { H: Matrix; g: Matrix } {
  const p = cols.length + 1;
  const ones = new Float64Array(n).fill(1);
  const all = [ones, ...cols];
  const hx = all.map((c) => {
    const o = new Float64Array(n);
    for (let i = 0; i < n; i++) o[i] = h[i]! * c[i]!;
    return o;
  });
  const Hm = new Matrix(p, p);
  const gm = new Matrix(p, 1);
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      const v = dot(hx[a]!, all[b]!) + (a === b && a > 0 ? l2 : 0);
      Hm.set(a, b, v);
      Hm.set(b, a, v);
    }
    gm.set(a, 0, dot(all[a]!, r) + (a > 0 ? l2 * beta[a]! : 0));
  }
  return { H: Hm, g: gm };
}

function solveSpd(H: Matrix, g: Matrix): Matrix {
  const ch = new CholeskyDecomposition(H);
  if (ch.isPositiveDefinite()) return ch.solve(g);
  // singular without a penalty (a constant or duplicated column): least-norm step via SVD
  return inverse(H, true).mmul(g);
}

function linearPredictor(X: Design, beta: Float64Array, out: Float64Array): void {
  for (let i = 0; i < X.rows; i++) {
    let s = beta[0]!;
    const off = i * X.cols;
    for (let j = 0; j < X.cols; j++) s += beta[j + 1]! * X.data[off + j]!;
    out[i] = s;
  }
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Fits the penalised logistic regression by IRLS. y in {0, 1}. */
export function fitLogistic(X: Design, y: Float64Array, params: Partial<LogisticParams> = {}, weights?: Float64Array): LinearFit {
  const o = { ...DEFAULTS, ...params };
  const p = X.cols + 1;
  const beta = new Float64Array(p);
  const eta = new Float64Array(X.rows);
  const h = new Float64Array(X.rows);
  const r = new Float64Array(X.rows);
  const cols = columnsOf(X);
  let it = 0;
  let converged = false;
  let H: Matrix | null = null;
  for (; it < o.max_iter; it++) {
    linearPredictor(X, beta, eta);
    for (let i = 0; i < X.rows; i++) {
      const pi = sigmoid(eta[i]!);
      const w = weights ? weights[i]! : 1;
      h[i] = w * pi * (1 - pi);
      r[i] = w * (pi - y[i]!);
    }
    const ne = normalEquations(cols, X.rows, h, r, beta, o.l2);
    H = ne.H;
    const step = solveSpd(ne.H, ne.g);
    let maxStep = 0;
    for (let a = 0; a < p; a++) {
      const s = step.get(a, 0);
      beta[a] = beta[a]! - s;
      maxStep = Math.max(maxStep, Math.abs(s));
    }
    if (!Number.isFinite(maxStep)) break;
    if (maxStep < o.tol) {
      converged = true;
      it++;
      break;
    }
  }
  // The Hessian at the final coefficients: after convergence the last step moved them by less than
  // tol, so the Hessian of that iteration is used (one pass over the rows saved); otherwise recompute.
  if (!converged || !H) {
    linearPredictor(X, beta, eta);
    for (let i = 0; i < X.rows; i++) {
      const pi = sigmoid(eta[i]!);
      h[i] = (weights ? weights[i]! : 1) * pi * (1 - pi);
      r[i] = 0;
    }
    H = normalEquations(cols, X.rows, h, r, beta, o.l2).H;
  }
  const cov = inverse(H, !new CholeskyDecomposition(H).isPositiveDefinite());
  const se = Array.from({ length: p }, (_, a) => Math.sqrt(Math.max(0, cov.get(a, a))));
  return { beta: Array.from(beta), se, iterations: it, converged };
}

/** Ridge least squares with an unpenalised intercept; SEs scaled by RSS / (n - p). */
export function fitRidge(X: Design, y: Float64Array, l2: number, weights?: Float64Array): LinearFit {
  const p = X.cols + 1;
  const zero = new Float64Array(p);
  const h = new Float64Array(X.rows);
  const r = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    const w = weights ? weights[i]! : 1;
    h[i] = w;
    r[i] = -w * y[i]!;
  }
  const { H, g } = normalEquations(columnsOf(X), X.rows, h, r, zero, l2);
  const step = solveSpd(H, g);
  const beta = Float64Array.from({ length: p }, (_, a) => -step.get(a, 0));
  const eta = new Float64Array(X.rows);
  linearPredictor(X, beta, eta);
  let rss = 0;
  for (let i = 0; i < X.rows; i++) rss += (weights ? weights[i]! : 1) * (y[i]! - eta[i]!) ** 2;
  const s2 = rss / Math.max(1, X.rows - p);
  const cov = inverse(H, !new CholeskyDecomposition(H).isPositiveDefinite());
  return { beta: Array.from(beta), se: Array.from({ length: p }, (_, a) => Math.sqrt(Math.max(0, s2 * cov.get(a, a)))), iterations: 1, converged: true };
}

interface LogisticState {
  fits: LinearFit[];
}

export class LogisticModel implements Model {
  readonly kind = 'logistic' as const;
  private fits: LinearFit[] = [];
  private readonly params: LogisticParams;

  constructor(
    readonly objective: Objective,
    params: Partial<LogisticParams> = {},
  ) {
    this.params = { ...DEFAULTS, ...params };
  }

  fit(X: Design, y: Float64Array, o: FitOptions = {}): void {
    if (this.objective === 'regression') this.fits = [fitRidge(X, y, this.params.l2, o.weights)];
    else if (this.objective === 'binary') this.fits = [fitLogistic(X, y, this.params, o.weights)];
    else {
      const long = y.map((v) => (v === 2 ? 1 : 0));
      const short = y.map((v) => (v === 0 ? 1 : 0));
      this.fits = [fitLogistic(X, long, this.params, o.weights), fitLogistic(X, short, this.params, o.weights)];
    }
  }

  predict(X: Design): Float64Array {
    if (this.fits.length === 0) throw new Error('logistic: predict before fit');
    const eta = new Float64Array(X.rows);
    const out = new Float64Array(X.rows);
    linearPredictor(X, Float64Array.from(this.fits[0]!.beta), eta);
    if (this.objective === 'regression') return eta;
    for (let i = 0; i < X.rows; i++) out[i] = sigmoid(eta[i]!);
    if (this.objective === 'binary') return out;
    linearPredictor(X, Float64Array.from(this.fits[1]!.beta), eta);
    for (let i = 0; i < X.rows; i++) out[i] = out[i]! - sigmoid(eta[i]!);
    return out;
  }

  /** The fitted coefficients ([intercept, b...]) and SEs of each sub-model. */
  coefficients(): LinearFit[] {
    return this.fits.map((f) => ({ ...f, beta: [...f.beta], se: [...f.se] }));
  }

  serialise(): SerialisedModel {
    return { kind: 'logistic', objective: this.objective, params: { ...this.params }, state: { fits: this.fits } satisfies LogisticState };
  }

  static load(s: SerialisedModel): LogisticModel {
    const m = new LogisticModel(s.objective, s.params as Partial<LogisticParams>);
    m.fits = (s.state as LogisticState).fits;
    return m;
  }

  describe(features: readonly string[]): ModelDescription {
    const f = this.fits[0];
    return {
      kind: 'logistic',
      objective: this.objective,
      importance_kind: 'coefficient',
      importance: features.map((name, j) => ({ feature: name, value: f?.beta[j + 1] ?? NaN, se: f?.se[j + 1] ?? null })),
      ...(f ? { intercept: { value: f.beta[0]!, se: f.se[0]! }, iterations: f.iterations } : {}),
      params: { ...this.params },
    };
  }

  dispose(): void {}
}
