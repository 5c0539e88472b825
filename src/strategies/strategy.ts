/**
 * The strategy interface. A strategy is called once per decision row (a features, research or
 * predictions row of one symbol) at its decision time, never earlier, and acts through the
 * context: read this row's columns, prices of completed bars, positions and equity; send orders.
 *
 * A user strategy is an ES module passed as `--strategy ./my.mjs` (or .js/.ts) whose default
 * export is either a Strategy object or a function `(params) => Strategy`; `params` are the
 * `strategy:` section of the --config file. Example:
 *
 *   export default (params) => {
 *     let col = -1;
 *     return {
 *       name: 'roc-follow',
 *       columns: ['roc_24'],
 *       init(info) { col = info.columns.indexOf('roc_24'); },
 *       onDecision(ctx) {
 *         const x = ctx.feature(col);
 *         if (Number.isNaN(x)) return;
 *         ctx.target(ctx.symbol, x > (params.threshold ?? 0) ? 1 : -1);
 *       },
 *     };
 *   };
 *
 * Rules: keep state in closures or typed arrays (onDecision runs millions of times: allocate in
 * init, not per call); no I/O and no randomness except ctx.random(), so reruns are bit-identical.
 * Orders arrive after the configured latency and fill at the next price after arrival; the
 * engine applies the risk layer (sizing, caps, drawdown controller, regime filter, kill switch).
 */
export interface StrategyContext {
  /** decision time, µs since the epoch, UTC */
  readonly time: number;
  /** symbol index of this decision row */
  readonly symbol: number;
  readonly symbols: readonly string[];
  /** value of a column of this decision row by index (see init's columns); NaN when null or absent */
  feature(column: number): number;
  /** close of the last completed traded bar of symbol s available now; NaN before any */
  close(s: number): number;
  /** position of s, signed base units */
  position(s: number): number;
  /** open orders' remaining size of s, signed base units */
  pending(s: number): number;
  /** account equity now (cash + unrealised + accrued funding), quote currency */
  equity(): number;
  /**
   * Targets a position of `weight` sizing units in s (1 = one unit: the fixed notional, the equity
   * fraction or the vol-target size of the config; negative = short; 0 = flat). Cancels open
   * orders of s and sends one market order for the difference, after the drawdown multiplier,
   * the caps (max position, gross leverage), the regime filter, lot rounding and the minimum size.
   */
  target(s: number, weight: number): void;
  /** market order of signed size qty (base units); returns the order id, -1 when refused */
  market(s: number, qty: number, reduceOnly?: boolean): number;
  /** limit (maker) order; fills only when traded through by the configured ticks */
  limit(s: number, qty: number, price: number, reduceOnly?: boolean): number;
  /** stop order: becomes a market order when the price reaches `price` */
  stop(s: number, qty: number, price: number, reduceOnly?: boolean): number;
  /** cancels the open orders of s */
  cancel(s: number): void;
  /** uniform [0, 1) from the run's seeded generator */
  random(): number;
}

export interface StrategyInfo {
  symbols: readonly string[];
  /** columns of the decision rows, in the order ctx.feature() indexes them */
  columns: readonly string[];
  /** length of a decision bar, µs */
  bar_us: number;
}

export interface Strategy {
  readonly name: string;
  /** cross_asset strategies get the correlation filter of seed §9.3, carry strategies the funding filter */
  readonly kind?: 'directional' | 'cross_asset' | 'carry';
  /** decision-row columns it needs; a run without them fails with exit 4 naming them */
  readonly columns?: readonly string[];
  /** called once before the first event */
  init?(info: StrategyInfo): void;
  /** called at every decision row, in time order */
  onDecision(ctx: StrategyContext): void;
}

/** A module's default export: a strategy, or a factory taking the config's strategy params. */
export type StrategyModule = Strategy | ((params: Record<string, unknown>) => Strategy);
