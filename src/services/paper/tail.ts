import { priceFamily, volumeFamily } from '../features/families.js';
import type { Axis, BarSeries as PanelBars } from '../features/panel.js';

/**
 * The features of a live decision: the price and volume families' kernels run on a trailing window
 * of bar slots ending at the bar that just closed (the features engine's tail recompute). The
 * kernels restart their running sums at absolute slots that are multiples of BLOCK (1024) and the
 * longest window is 2 x 190 - 1 bars (MACD signal), so a tail of BLOCK + 400 slots gives the value
 * a full recompute of the whole history gives, bit for bit (the parity replay checks it).
 */

/** the features a live decision row can carry (the price and volume families) */
export const TAIL_FEATURES: readonly string[] = (() => {
  const names: string[] = [];
  const ax: Axis = { t0: 0, tf: 1, n: 1, abs0: 0 };
  const one = new Float64Array(1);
  const p: PanelBars = { avail: one, open: one, high: one, low: one, close: one, volume: one, count: 1 };
  priceFamily(p, ax, (n) => names.push(n));
  volumeFamily(p, ax, (n) => names.push(n));
  return names;
})();

/** One symbol's closed bars on the absolute slot axis (slot = close_time / tf). */
export class SlotBars {
  private slots: number[] = [];
  private rows: Array<[number, number, number, number, number, number]> = [];

  constructor(readonly tfUs: number) {}

  push(closeTime: number, avail: number, o: number, h: number, l: number, c: number, v: number): void {
    const slot = Math.round(closeTime / this.tfUs);
    this.slots.push(slot);
    this.rows.push([avail, o, h, l, c, v]);
  }

  get length(): number {
    return this.slots.length;
  }

  /**
   * The wanted columns' values at the slot of closeTime, from `slots` trailing slots (NaN where no
   * bar). Bars must have been pushed in slot order.
   */
  valuesAt(closeTime: number, columns: readonly string[], slots: number): number[] {
    const last = Math.round(closeTime / this.tfUs);
    const first = last - slots + 1;
    const n = slots;
    const arr = (): Float64Array => new Float64Array(n).fill(Number.NaN);
    const p: PanelBars = { avail: arr(), open: arr(), high: arr(), low: arr(), close: arr(), volume: arr(), count: 0 };
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const j = this.slots[i]! - first;
      if (j < 0) break;
      if (j >= n) continue;
      const r = this.rows[i]!;
      p.avail[j] = r[0];
      p.open[j] = r[1];
      p.high[j] = r[2];
      p.low[j] = r[3];
      p.close[j] = r[4];
      p.volume[j] = r[5];
      p.count++;
    }
    const ax: Axis = { t0: first * this.tfUs, tf: this.tfUs, n, abs0: first };
    return featureRow(p, ax, columns, n - 1);
  }
}

/** The wanted columns at slot j of a bar panel (NaN for a column no family emits). */
export function featureRow(p: PanelBars, ax: Axis, columns: readonly string[], j: number): number[] {
  const out = columns.map(() => Number.NaN);
  const emit = (name: string, values: Float64Array): void => {
    const c = columns.indexOf(name);
    if (c >= 0) out[c] = values[j]!;
  };
  priceFamily(p, ax, emit);
  volumeFamily(p, ax, emit);
  return out;
}

/** Every wanted column over the whole panel (the replay's full recompute). */
export function featureColumns(p: PanelBars, ax: Axis, columns: readonly string[]): Float64Array[] {
  const out: Float64Array[] = columns.map(() => new Float64Array(ax.n).fill(Number.NaN));
  const emit = (name: string, values: Float64Array): void => {
    const c = columns.indexOf(name);
    if (c >= 0) out[c] = values;
  };
  priceFamily(p, ax, emit);
  volumeFamily(p, ax, emit);
  return out;
}
