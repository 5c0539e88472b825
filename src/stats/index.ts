/**
 * perpkit statistics: pure functions on Float64Array, no I/O.
 * - normal.ts: normal CDF (Cody 1969) and quantile (Acklam + Halley step)
 * - descriptive.ts: moments, percentiles, ranks, correlations, OLS
 * - returns.ts: performance metrics of a returns series (empyrical definitions, 24/7 annualisation)
 * - sharpe.ts: PSR, DSR, expected maximum Sharpe of N trials, MinTRL (Bailey and Lopez de Prado)
 * - pbo.ts: probability of backtest overfitting by CSCV (Bailey, Borwein, Lopez de Prado, Zhu)
 * - ic.ts: information coefficients (alphalens definitions) with Newey-West t-statistics
 * - random.ts: seeded generators for simulations
 */
export * from './normal.js';
export * from './descriptive.js';
export * from './returns.js';
export * from './sharpe.js';
export * from './pbo.js';
export * from './ic.js';
export * from './random.js';
// Research additions (issue 15): overlap-aware inference, multiple testing, buckets, decay, incrementality.
export * from './multiple-testing.js';
export * from './overlap.js';
export * from './buckets.js';
export * from './decay.js';
export * from './incremental.js';
