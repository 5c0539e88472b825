import type { AssetSeries, Panel } from '../../src/services/research/panel.js';
import { mulberry32, normalGenerator } from '../../src/stats/random.js';

// A small research panel built to be awkward (grid.test.ts, grid-pool.test.ts): ties (rounded
// features, discrete regime features), missing feature and label values, assets with different spans.

export const BAR = 300_000;
export const T0 = Date.UTC(2025, 0, 1);

export function series(symbol: string, n: number, start: number, seed: number): AssetSeries {
  const u = mulberry32(seed);
  const z = normalGenerator(seed + 1);
  const time = Float64Array.from({ length: n }, (_, i) => T0 + (start + i) * BAR);
  const f = (gen: (i: number) => number, missing = 0): Float64Array => Float64Array.from({ length: n }, (_, i) => (u() < missing ? Number.NaN : gen(i)));
  const ret = f(() => z() * 0.01);
  const sig = f(() => Math.round(z() * 4) / 4, 0.05); // few distinct values: many ties
  const cont = f((i) => 0.3 * ret[i]! + z() * 0.01, 0.02);
  const features = new Map<string, Float64Array>([
    ['basis', sig],
    ['basis_z_168', cont],
    ['vol_regime', f(() => (u() < 0.08 ? -1 : u() < 0.8 ? 0 : 1))],
    ['trend_regime', f(() => (u() < 0.5 ? 1 : -1), 0.01)],
    ['funding_rate', f(() => Math.round(z() * 3) / 1e4)],
    ['liquidity_stress', f(() => Math.abs(z()), 0.03)],
    ['settle_in_window', f(() => (u() < 0.1 ? 1 : 0))],
    ['perp_spot_activity_24', f(() => z())],
    ['roc_1', f(() => z() * 0.01)],
    ['roc_12', f(() => z() * 0.03)],
    ['rv_24', f(() => Math.abs(z()) * 0.02, 0.01)],
  ]);
  const labels = new Map<string, Float64Array>([
    // some returns exactly 0 (a bar without a price change): neither a win nor a loss
    ['15m', f((i) => (i % 17 === 0 ? 0 : 0.5 * ret[i]! + z() * 0.01), 0.03)],
    ['4h', f((i) => 0.2 * ret[i]! + z() * 0.02, 0.03)],
  ]);
  return { symbol, time, features, labels };
}

export function panelOf(assets: AssetSeries[]): Panel {
  return { assets, rows: assets.reduce((s, a) => s + a.time.length, 0), round_trip_cost: 0.001 };
}
