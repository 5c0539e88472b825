/**
 * Inputs of the engine: columns in typed arrays, one set per symbol. Times are µs since the epoch,
 * UTC, in doubles (exact until the year 2255). Missing numbers are NaN.
 */

/** Bars of one symbol and one price type, sorted by available_time. */
export interface BarSeries {
  /** bar length, µs */
  timeframe_us: number;
  /** start of the interval, µs */
  open_time: Float64Array;
  /** end of the interval (event_time of the row), µs */
  close_time: Float64Array;
  /** when a live system could have had the bar, µs */
  available_time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** traded volume in base units; NaN when unknown (mark bars) */
  volume: Float64Array;
}

/** Top-of-book quotes of one symbol, sorted by available_time. */
export interface QuoteSeries {
  event_time: Float64Array;
  available_time: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  /** sizes at the touch, base units; NaN when unknown (no size cap then) */
  bid_size: Float64Array;
  ask_size: Float64Array;
}

/** Trade prints of one symbol, sorted by available_time. */
export interface TradeSeries {
  event_time: Float64Array;
  available_time: Float64Array;
  price: Float64Array;
  /** size in base units; NaN when unknown (no size cap then) */
  size: Float64Array;
}

/** Settled (or accrued) funding prints of one symbol, sorted by available_time. */
export interface FundingSeries {
  /** settlement or accrual time, µs */
  event_time: Float64Array;
  available_time: Float64Array;
  /** rate per print, fraction; longs pay shorts when > 0 */
  rate: Float64Array;
  /** hours the print covers; NaN when unknown */
  interval_hours: Float64Array;
  /** mark price of the settlement; NaN when unknown */
  mark: Float64Array;
}

/** What the engine needs to know of a tradable instrument. */
export interface InstrumentInfo {
  symbol: string;
  venue: string;
  /** minimum price increment, quote currency */
  tick_size: number;
  /** minimum size increment, base units (lot x contract size); 0 = continuous */
  lot_base: number;
  /** fee rates of the selected tier, fractions of notional */
  maker_fee: number;
  taker_fee: number;
  /**
   * volume-tiered fees (fees.tier auto): the venue's schedule by trailing 30-day traded notional;
   * when given, each fill's rates come from the tier the account's volume reached (engine feeRate)
   * and maker_fee/taker_fee are unused
   */
  fee_tiers?: Array<{ name: string; min_volume_30d: number; maker: number; taker: number }>;
  /**
   * maintenance-margin brackets by position notional (ascending; see MarginTier in
   * domain/backtest.ts), or absent: margin.maintenance_rate for every size
   */
  margin_tiers?: Array<{ max_notional: number; max_leverage: number; mmr: number; cum: number }>;
  /** hours between funding settlements */
  funding_interval_hours: number;
  /** hours between accruals; equal to the interval where funding does not accrue in between */
  funding_accrual_hours: number;
  /** the instrument may be traded in [valid_from, valid_to), µs (listing to delisting) */
  valid_from: number;
  valid_to: number;
}

/** Decision rows (features, predictions) of all symbols, sorted by time then symbol. */
export interface DecisionSeries {
  /** decision time = available_time of the row, µs */
  time: Float64Array;
  sym: Uint16Array;
  /** column names, in the order of `values` */
  columns: string[];
  /** one array per column, NaN for null */
  values: Float64Array[];
}

export interface MarketData {
  symbols: string[];
  instruments: InstrumentInfo[];
  /** execution bars per symbol (the finest traded-price bars present) */
  bars: BarSeries[];
  /** mark bars per symbol, or null: the traded bars stand in for mark (said in the results) */
  mark: Array<BarSeries | null>;
  /**
   * quotes per symbol, or null: where present, market orders (and triggered stops) fill at the
   * first quote at or after their arrival (buys at the ask, sells at the bid), not at a bar open
   */
  quotes?: Array<QuoteSeries | null>;
  /**
   * trade prints per symbol, or null: where present, every order of the symbol executes on the
   * prints inside [first print, last print] (market orders and triggered stops at the first print
   * at or after arrival, limits when a print trades through them), bars outside that span
   */
  trades?: Array<TradeSeries | null>;
  /** funding per symbol, or null for none (a position held across a due print is then "missing") */
  funding: Array<FundingSeries | null>;
  decisions: DecisionSeries;
  /** run window [start, end), µs: decisions outside are skipped; data before start warms up rolling stats */
  start: number;
  end: number;
}
