/**
 * Funding: kinds of funding cash flows and the settlement schedule of venues that accrue funding
 * between settlements (Coinbase US accrues hourly, each accrual counting in equity and margin at
 * once, and settles twice a day). Venues that do not accrue (Binance) settle each print in cash
 * when it becomes available, at the interval the data itself gives.
 *
 * Amount of a print on a position of q base units: -q x mark x rate (longs pay when rate > 0);
 * mark = the print's own mark price, else the last mark close, else the last traded close.
 */

/** a settled print booked into cash */
export const FUND_SETTLEMENT = 0;
/** an accrual booked into accrued funding (equity and margin at once, cash at the settlement) */
export const FUND_ACCRUAL = 1;
/** a due print that never came, charged zero (--funding-missing zero) */
export const FUND_MISSING_ZERO = 2;
/** a due print that never came, charged at the last rate (--funding-missing last) */
export const FUND_MISSING_LAST = 3;
export const FUNDING_KINDS = ['settlement', 'accrual', 'missing_zero', 'missing_last'] as const;

/** Settlement times in (from, to], µs: multiples of intervalHours since 00:00 UTC. */
export function settlementTimes(from: number, to: number, intervalHours: number): Float64Array {
  const step = intervalHours * 3_600_000_000;
  if (!(step > 0) || !(to > from)) return new Float64Array(0);
  const first = Math.floor(from / step) * step + step;
  const n = first > to ? 0 : Math.floor((to - first) / step) + 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = first + i * step;
  return out;
}
