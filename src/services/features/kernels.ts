/**
 * Window kernels over typed arrays: the exact window rules of the feature catalog.
 *
 * Every series lives on a regular axis of bar slots (slot j closes at t0 + j * bar); a missing bar
 * is a NaN slot. A window of L slots ending at j is complete only when all L slots hold a value,
 * so warm-up and gaps give NaN (written as NULL), never 0, and order-dependent statistics run in
 * event-time order by construction.
 *
 * Running sums restart from scratch at slots whose absolute index (epoch / bar) is a multiple of
 * BLOCK, and after every incomplete window. A value therefore depends only on the data between the
 * last restart and its own slot, never on where loading began before that restart: the leakage
 * harness and the incremental build compare values bit for bit.
 */

/** Restart period of the running sums, in bar slots (anchored on the epoch). */
export const BLOCK = 1024;

/** Number of consecutive finite values ending at each slot. */
export function runLength(x: Float64Array): Int32Array {
  const out = new Int32Array(x.length);
  let run = 0;
  for (let j = 0; j < x.length; j++) {
    run = Number.isFinite(x[j] as number) ? run + 1 : 0;
    out[j] = run;
  }
  return out;
}

/** Run length of slots where every one of the arrays is finite. */
export function jointRunLength(...xs: Float64Array[]): Int32Array {
  const n = xs[0]?.length ?? 0;
  const out = new Int32Array(n);
  let run = 0;
  for (let j = 0; j < n; j++) {
    let ok = true;
    for (const x of xs) if (!Number.isFinite(x[j] as number)) ok = false;
    run = ok ? run + 1 : 0;
    out[j] = run;
  }
  return out;
}

/**
 * Latest availability over each complete window of L slots (the time a value computed on the
 * window becomes usable); NaN where the window is not complete. Monotonic deque, O(n).
 */
export function windowAvailability(avail: Float64Array, run: Int32Array, L: number): Float64Array {
  const n = avail.length;
  const out = new Float64Array(n).fill(NaN);
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let j = 0; j < n; j++) {
    if ((run[j] as number) === 0) {
      head = tail = 0;
      continue;
    }
    const a = avail[j] as number;
    while (tail > head && (avail[dq[tail - 1] as number] as number) <= a) tail--;
    dq[tail++] = j;
    while ((dq[head] as number) <= j - L) head++;
    if ((run[j] as number) >= L) out[j] = avail[dq[head] as number] as number;
  }
  return out;
}

const isRestart = (abs0: number, j: number): boolean => (abs0 + j) % BLOCK === 0;

/**
 * Sum of f(x) over each complete window of L slots (NaN elsewhere), with values shifted by the
 * window's first value at each restart so that sums of squares keep their precision.
 */
export function rollingMoments(x: Float64Array, run: Int32Array, L: number, abs0: number): { s1: Float64Array; s2: Float64Array; shift: Float64Array } {
  const n = x.length;
  const s1 = new Float64Array(n).fill(NaN);
  const s2 = new Float64Array(n).fill(NaN);
  const shift = new Float64Array(n).fill(NaN);
  let valid = false;
  let c = 0;
  let a = 0;
  let b = 0;
  for (let j = 0; j < n; j++) {
    if ((run[j] as number) < L) {
      valid = false;
      continue;
    }
    if (!valid || isRestart(abs0, j)) {
      c = x[j - L + 1] as number;
      a = 0;
      b = 0;
      for (let i = j - L + 1; i <= j; i++) {
        const d = (x[i] as number) - c;
        a += d;
        b += d * d;
      }
      valid = true;
    } else {
      const dn = (x[j] as number) - c;
      const dOld = (x[j - L] as number) - c;
      a += dn - dOld;
      b += dn * dn - dOld * dOld;
    }
    s1[j] = a;
    s2[j] = b;
    shift[j] = c;
  }
  return { s1, s2, shift };
}

/** Rolling mean over complete windows of L slots. */
export function rollingMean(x: Float64Array, run: Int32Array, L: number, abs0: number): Float64Array {
  const { s1, shift } = rollingMoments(x, run, L, abs0);
  const out = new Float64Array(x.length).fill(NaN);
  for (let j = 0; j < x.length; j++) if (Number.isFinite(s1[j] as number)) out[j] = (shift[j] as number) + (s1[j] as number) / L;
  return out;
}

/** Rolling standard deviation (ddof 0 or 1) over complete windows; tiny negative variances from rounding are 0. */
export function rollingStd(x: Float64Array, run: Int32Array, L: number, abs0: number, ddof: 0 | 1): { mean: Float64Array; std: Float64Array } {
  const { s1, s2, shift } = rollingMoments(x, run, L, abs0);
  const n = x.length;
  const mean = new Float64Array(n).fill(NaN);
  const std = new Float64Array(n).fill(NaN);
  for (let j = 0; j < n; j++) {
    const a = s1[j] as number;
    if (!Number.isFinite(a)) continue;
    mean[j] = (shift[j] as number) + a / L;
    const v = ((s2[j] as number) - (a * a) / L) / (L - ddof);
    std[j] = Math.sqrt(v > 0 ? v : 0);
  }
  return { mean, std };
}

/**
 * Rolling covariance statistics of (x, y) over complete windows of L jointly present slots:
 * slope of y on x, correlation, and the variances (ddof 1).
 */
export function rollingRegression(
  x: Float64Array,
  y: Float64Array,
  L: number,
  abs0: number,
): { slope: Float64Array; corr: Float64Array; varX: Float64Array; varY: Float64Array; run: Int32Array } {
  const n = x.length;
  const run = jointRunLength(x, y);
  const slope = new Float64Array(n).fill(NaN);
  const corr = new Float64Array(n).fill(NaN);
  const varX = new Float64Array(n).fill(NaN);
  const varY = new Float64Array(n).fill(NaN);
  let valid = false;
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let j = 0; j < n; j++) {
    if ((run[j] as number) < L) {
      valid = false;
      continue;
    }
    if (!valid || isRestart(abs0, j)) {
      cx = x[j - L + 1] as number;
      cy = y[j - L + 1] as number;
      sx = sy = sxx = syy = sxy = 0;
      for (let i = j - L + 1; i <= j; i++) {
        const dx = (x[i] as number) - cx;
        const dy = (y[i] as number) - cy;
        sx += dx;
        sy += dy;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
      }
      valid = true;
    } else {
      const dx = (x[j] as number) - cx;
      const dy = (y[j] as number) - cy;
      const ox = (x[j - L] as number) - cx;
      const oy = (y[j - L] as number) - cy;
      sx += dx - ox;
      sy += dy - oy;
      sxx += dx * dx - ox * ox;
      syy += dy * dy - oy * oy;
      sxy += dx * dy - ox * oy;
    }
    const cxx = sxx - (sx * sx) / L;
    const cyy = syy - (sy * sy) / L;
    const cxy = sxy - (sx * sy) / L;
    varX[j] = Math.max(cxx, 0) / (L - 1);
    varY[j] = Math.max(cyy, 0) / (L - 1);
    if (cxx > 0) slope[j] = cxy / cxx;
    if (cxx > 0 && cyy > 0) corr[j] = cxy / Math.sqrt(cxx * cyy);
  }
  return { slope, corr, varX, varY, run };
}

/** Least-squares slope of x against its slot index over complete windows of L slots (direct, O(n L)). */
export function rollingTrend(x: Float64Array, run: Int32Array, L: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n).fill(NaN);
  const im = (L - 1) / 2;
  let sii = 0;
  for (let i = 0; i < L; i++) sii += (i - im) * (i - im);
  for (let j = L - 1; j < n; j++) {
    if ((run[j] as number) < L) continue;
    let m = 0;
    for (let i = 0; i < L; i++) m += x[j - L + 1 + i] as number;
    m /= L;
    let sxy = 0;
    for (let i = 0; i < L; i++) sxy += (i - im) * ((x[j - L + 1 + i] as number) - m);
    out[j] = sxy / sii;
  }
  return out;
}

/** Share of the last L values (current included) at or below the current one, over complete windows. */
export function rollingPercentile(x: Float64Array, run: Int32Array, L: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n).fill(NaN);
  for (let j = L - 1; j < n; j++) {
    if ((run[j] as number) < L) continue;
    const v = x[j] as number;
    let c = 0;
    for (let i = j - L + 1; i <= j; i++) if ((x[i] as number) <= v) c++;
    out[j] = c / L;
  }
  return out;
}

/**
 * Truncated, renormalised EMA: sum over the last W consecutive inputs of alpha (1-alpha)^i x_{j-i},
 * divided by 1 - (1-alpha)^W. NaN until W consecutive inputs exist; a missing input restarts the
 * warm-up. Slides in O(1) per slot between restarts.
 */
export function truncatedEma(x: Float64Array, run: Int32Array, alpha: number, W: number, abs0: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n).fill(NaN);
  const q = 1 - alpha;
  const qW = Math.pow(q, W);
  const norm = 1 - qW;
  let valid = false;
  let s = 0;
  for (let j = 0; j < n; j++) {
    if ((run[j] as number) < W) {
      valid = false;
      continue;
    }
    if (!valid || isRestart(abs0, j)) {
      s = 0;
      let w = alpha;
      for (let i = 0; i < W; i++) {
        s += w * (x[j - i] as number);
        w *= q;
      }
      valid = true;
    } else {
      s = q * s + alpha * (x[j] as number) - alpha * qW * (x[j - W] as number);
    }
    out[j] = s / norm;
  }
  return out;
}

/** x_j / x_{j-k} - 1 over complete windows of k+1 slots. */
export function ratioChange(x: Float64Array, run: Int32Array, k: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n).fill(NaN);
  for (let j = k; j < n; j++) {
    const b = x[j - k] as number;
    if ((run[j] as number) > k && b !== 0) out[j] = (x[j] as number) / b - 1;
  }
  return out;
}

/** The array shifted by k slots (value of slot j - k at j). */
export function lagged(x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  for (let j = k; j < x.length; j++) out[j] = x[j - k] as number;
  return out;
}

/** NaN unless value is finite (ratios never produce Infinity). */
export const fin = (v: number): number => (Number.isFinite(v) ? v : NaN);
