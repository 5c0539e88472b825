/**
 * Standard normal distribution: CDF and quantile, in double precision.
 *
 * No installed package provides these (ml-matrix has no distributions), so they are implemented
 * here from two published algorithms and tested against reference values (computed with mpmath at
 * 50 digits) to 1e-12 relative in the tails and 1e-15 absolute in the body:
 *
 * - `normCdf`: W. J. Cody, "Rational Chebyshev approximations for the error function",
 *   Math. Comp. 23 (1969) 631-637, in the form R uses for `pnorm` (src/nmath/pnorm.c, with
 *   Cody's coefficients for Phi directly). Three ranges: |x| <= 0.67449, |x| <= sqrt(32), beyond
 *   (asymptotic), each a rational function; relative error below 1e-15 in both tails.
 * - `normQuantile`: P. J. Acklam's rational approximation (relative error 1.15e-9), refined by one
 *   Halley step on `normCdf` (E. Halley's third-order update as Acklam recommends), which brings it
 *   to full double precision.
 */

const SQRT_32 = Math.sqrt(32);
const ONE_OVER_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);

// Cody's coefficients (R's pnorm.c), written as the shortest literals of the same doubles.
const A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745];
const B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673];
const C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726,
  6848.190450536283, 11602.65143764735, 9842.714838383978, 1.0765576773720192e-08,
];
const D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097,
  34900.95272114598, 38912.00328609327, 19685.429676859992,
];
const P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 2.9112874951168793e-05,
  0.023073441764940174,
];
const Q = [1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 7.297515550839662e-05];

/** Coefficient i of a fixed table (the tables are constants, so the index is always in range). */
function k(table: readonly number[], i: number): number {
  return table[i] as number;
}

/** exp(-x^2/2) without the cancellation of squaring a large x (Cody's split of x into x16 + delta). */
function gaussTail(x: number): number {
  const xsq = Math.trunc(x * 16) / 16;
  const del = (x - xsq) * (x + xsq);
  return Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5);
}

/**
 * Both tails at once: [Phi(x), 1 - Phi(x)], each accurate to full relative precision (so the upper
 * tail is not computed as 1 minus a number close to 1).
 */
export function normCdfBoth(x: number): [lower: number, upper: number] {
  if (Number.isNaN(x)) return [Number.NaN, Number.NaN];
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    let xnum = 0;
    let xden = 0;
    if (y > 1e-300) {
      const xsq = x * x;
      xnum = k(A, 4) * xsq;
      xden = xsq;
      for (let i = 0; i < 3; i++) {
        xnum = (xnum + k(A, i)) * xsq;
        xden = (xden + k(B, i)) * xsq;
      }
    }
    const temp = (x * (xnum + k(A, 3))) / (xden + k(B, 3));
    return [0.5 + temp, 0.5 - temp];
  }
  let small: number;
  if (y <= SQRT_32) {
    let xnum = k(C, 8) * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + k(C, i)) * y;
      xden = (xden + k(D, i)) * y;
    }
    small = (gaussTail(y) * (xnum + k(C, 7))) / (xden + k(D, 7));
  } else if (y < 38.5) {
    const xsq = 1 / (x * x);
    let xnum = k(P, 5) * xsq;
    let xden = xsq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + k(P, i)) * xsq;
      xden = (xden + k(Q, i)) * xsq;
    }
    let temp = (xsq * (xnum + k(P, 4))) / (xden + k(Q, 4));
    temp = (ONE_OVER_SQRT_2PI - temp) / y;
    small = gaussTail(y) * temp;
  } else {
    small = 0;
  }
  // `small` is the tail beyond |x|: the lower tail when x < 0, the upper tail when x > 0.
  return x > 0 ? [1 - small, small] : [small, 1 - small];
}

/**
 * Phi(x) = P[Z <= x] for Z ~ N(0, 1). Cody (1969) rational approximations, as in R's pnorm.
 * Relative error below 1e-15 for x down to -38 (below that Phi underflows to 0).
 */
export function normCdf(x: number): number {
  return normCdfBoth(x)[0];
}

/** 1 - Phi(x), computed without cancellation (accurate for large positive x). */
export function normSf(x: number): number {
  return normCdfBoth(x)[1];
}

/** Standard normal density phi(x) = exp(-x^2/2)/sqrt(2 pi). */
export function normPdf(x: number): number {
  return ONE_OVER_SQRT_2PI * gaussTail(Math.abs(x));
}

const QA = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const QB = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const QC = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const QD = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Acklam's approximation of the lower-tail quantile for p in (0, 0.5]; relative error < 1.15e-9. */
function acklamLower(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((k(QC, 0) * q + k(QC, 1)) * q + k(QC, 2)) * q + k(QC, 3)) * q + k(QC, 4)) * q + k(QC, 5)) /
      ((((k(QD, 0) * q + k(QD, 1)) * q + k(QD, 2)) * q + k(QD, 3)) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((k(QA, 0) * r + k(QA, 1)) * r + k(QA, 2)) * r + k(QA, 3)) * r + k(QA, 4)) * r + k(QA, 5)) * q) /
    (((((k(QB, 0) * r + k(QB, 1)) * r + k(QB, 2)) * r + k(QB, 3)) * r + k(QB, 4)) * r + 1)
  );
}

/**
 * Phi^{-1}(p): the x with Phi(x) = p. Acklam's algorithm plus one Halley refinement step on
 * `normCdf`; by symmetry the computation is done in the lower tail, so both tails keep full relative
 * precision. Returns -Infinity for p = 0, +Infinity for p = 1 and NaN outside [0, 1].
 */
export function normQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // Work with the smaller tail probability t and flip the sign at the end.
  const upper = p > 0.5;
  const t = upper ? 1 - p : p;
  let x = acklamLower(t);
  // Halley step on f(x) = Phi(x) - t: x -= u / (1 + x u / 2), u = f(x) / phi(x).
  const e = normCdf(x) - t;
  const u = e * SQRT_2PI * Math.exp((x * x) / 2);
  x -= u / (1 + (x * u) / 2);
  return upper ? -x : x;
}
