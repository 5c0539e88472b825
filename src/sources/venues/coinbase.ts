import { z } from 'zod';
import { timeframeSeconds } from '../../domain/datasets.js';
import { COINBASE_FEE_TIERS, COINBASE_PERP_FUNDING, type VenueDataset } from '../../domain/venue-config.js';
import {
  barRow,
  barWindows,
  baseOf,
  clockRow,
  decimal,
  isoTime,
  isoToMicros,
  keepBars,
  parseResponse,
  US_PER_S,
  type AdapterContext,
  type BarInput,
  type Page,
  type ResolvedSymbol,
  type ResolveResult,
  type Row,
  type Task,
  type VenueAdapter,
} from './common.js';

/**
 * Coinbase US (Advanced Trade public market endpoints, ccxt `coinbase` implicit API):
 *   products  GET /api/v3/brokerage/market/products?product_type=FUTURE|SPOT  v3PublicGetBrokerageMarketProducts
 *   candles   GET /api/v3/brokerage/market/products/{product_id}/candles     v3PublicGetBrokerageMarketProductsProductIdCandles
 *   trades    GET /api/v3/brokerage/market/products/{product_id}/ticker      v3PublicGetBrokerageMarketProductsProductIdTicker
 * The perp-style futures are FUTURE products named "<BASE> PERP" (contract code such as BIP, a
 * nominal expiry in 2030, contract size 0.01 BTC); their funding rate and open interest are
 * published only as the current value in the product details, never as a history.
 */

const VENUE = 'coinbase' as const;

const FutureDetailsSchema = z
  .object({
    contract_code: z.string(),
    contract_size: decimal,
    contract_root_unit: z.string(),
    contract_expiry: z.string().nullable().optional(),
    contract_display_name: z.string().optional(),
    funding_interval: z.string().nullable().optional(),
    open_interest: z.string().optional(),
    funding_rate: z.string().optional(),
    funding_time: z.string().nullable().optional(),
    index_price: z.string().optional(),
  })
  .passthrough();

const ProductSchema = z
  .object({
    product_id: z.string(),
    product_type: z.string(),
    display_name: z.string(),
    price: z.string().optional(),
    price_increment: decimal,
    base_increment: decimal,
    quote_currency_id: z.string(),
    base_currency_id: z.string(),
    approximate_quote_24h_volume: z.string().optional(),
    is_disabled: z.boolean().optional(),
    trading_disabled: z.boolean().optional(),
    future_product_details: FutureDetailsSchema.nullable().optional(),
  })
  .passthrough();
export type CoinbaseProduct = z.infer<typeof ProductSchema>;

export const ProductsResponseSchema = z.object({ products: z.array(ProductSchema) }).passthrough();

const CandlesResponseSchema = z
  .object({
    candles: z.array(z.object({ start: decimal, low: decimal, high: decimal, open: decimal, close: decimal, volume: decimal }).passthrough()),
  })
  .passthrough();

const TickerResponseSchema = z
  .object({
    trades: z.array(
      z
        .object({
          trade_id: z.string(),
          product_id: z.string(),
          price: decimal,
          size: decimal,
          time: isoTime,
          side: z.enum(['BUY', 'SELL', 'UNKNOWN_ORDER_SIDE']),
        })
        .passthrough(),
    ),
  })
  .passthrough();

export const COINBASE_GRANULARITIES: Record<string, string> = {
  '1m': 'ONE_MINUTE',
  '5m': 'FIVE_MINUTE',
  '15m': 'FIFTEEN_MINUTE',
  '30m': 'THIRTY_MINUTE',
  '1h': 'ONE_HOUR',
  '2h': 'TWO_HOUR',
  '6h': 'SIX_HOUR',
  '1d': 'ONE_DAY',
};

const PERP_NAME = /^([A-Z0-9]+) PERP$/;

/** A perp-style future of the product list with its canonical symbol. */
export interface CoinbasePerp {
  symbol: string;
  base: string;
  product: CoinbaseProduct;
}

/**
 * The perp-style futures of a product list: FUTURE products whose display name is "<BASE> PERP"
 * (dated futures such as "BTC 24 APR 26" are excluded), disabled ones left out; when a base has
 * several, the one with the largest 24h quote volume wins.
 */
export function discoverCoinbasePerps(products: readonly CoinbaseProduct[]): CoinbasePerp[] {
  const best = new Map<string, CoinbasePerp>();
  for (const p of products) {
    if (p.product_type !== 'FUTURE' || !p.future_product_details || p.is_disabled || p.trading_disabled) continue;
    const m = PERP_NAME.exec(p.display_name.trim()) ?? PERP_NAME.exec(p.future_product_details.contract_display_name?.trim() ?? '');
    if (!m) continue;
    const base = p.future_product_details.contract_root_unit || (m[1] as string);
    const cand = { symbol: `${base}-PERP`, base, product: p };
    const prev = best.get(base);
    if (!prev || Number(p.approximate_quote_24h_volume ?? 0) > Number(prev.product.approximate_quote_24h_volume ?? 0)) best.set(base, cand);
  }
  return [...best.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
}

/** Hours in a Coinbase duration such as "3600s"; null when absent. */
function durationHours(d: string | null | undefined): number | null {
  const m = d ? /^(\d+(?:\.\d+)?)s$/.exec(d) : null;
  return m ? Number(m[1]) / 3600 : null;
}

/** The instruments row of a Coinbase perp-style future (clocks filled by the caller). */
export function coinbasePerpInstrument(perp: CoinbasePerp): Row {
  const p = perp.product;
  const f = p.future_product_details as NonNullable<CoinbaseProduct['future_product_details']>;
  return {
    venue: VENUE,
    symbol: perp.symbol,
    venue_symbol: p.product_id,
    kind: 'perp',
    base: perp.base,
    quote: p.quote_currency_id,
    settle: p.quote_currency_id,
    contract_size: Number(f.contract_size),
    tick_size: Number(p.price_increment),
    lot_size: Number(p.base_increment),
    funding_interval_hours: COINBASE_PERP_FUNDING.settlement_hours,
    funding_accrual_hours: durationHours(f.funding_interval) ?? COINBASE_PERP_FUNDING.accrual_hours,
    maker_fee: COINBASE_FEE_TIERS[0]?.maker ?? null,
    taker_fee: COINBASE_FEE_TIERS[0]?.taker ?? null,
    fee_tiers: JSON.stringify(COINBASE_FEE_TIERS),
    spot_venue: VENUE,
    spot_symbol: `${perp.base}-USD`,
    // the nominal far expiry (2030) of a perp-style future is not an expiry in practice
    expiry: null,
  };
}

function coinbaseSpotInstrument(p: CoinbaseProduct): Row {
  return {
    venue: VENUE,
    symbol: p.product_id,
    venue_symbol: p.product_id,
    kind: 'spot',
    base: p.base_currency_id,
    quote: p.quote_currency_id,
    settle: null,
    contract_size: 1,
    tick_size: Number(p.price_increment),
    lot_size: Number(p.base_increment),
    funding_interval_hours: null,
    funding_accrual_hours: null,
    maker_fee: COINBASE_FEE_TIERS[0]?.maker ?? null,
    taker_fee: COINBASE_FEE_TIERS[0]?.taker ?? null,
    fee_tiers: JSON.stringify(COINBASE_FEE_TIERS),
    spot_venue: null,
    spot_symbol: null,
    expiry: null,
  };
}

/** Candles of one response as bar inputs (volume in base units: contracts x contract size). */
export function mapCoinbaseCandles(body: unknown, contractSize: number): BarInput[] {
  const r = parseResponse(VENUE, 'market/products/{product_id}/candles', CandlesResponseSchema, body);
  return r.candles.map((c) => ({
    open_time: Number(c.start) * US_PER_S,
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
    volume: Number(c.volume) * contractSize,
    quote_volume: null,
    trade_count: null,
  }));
}

const isSpotSymbol = (s: string): boolean => /^[A-Z0-9]+-(USD|USDC|USDT|EUR|GBP)$/.test(s);

export function coinbaseAdapter(): VenueAdapter {
  return {
    venue: VENUE,
    timeframes: Object.keys(COINBASE_GRANULARITIES),
    canonical: (s) => (s.includes('-') ? s : `${s}-PERP`),
    unsupported(dataset: VenueDataset, kind) {
      if (dataset === 'mark' || dataset === 'index') {
        return 'Coinbase US publishes no mark or index price history (only the current index price in the product details)';
      }
      if (kind === 'spot' && (dataset === 'funding' || dataset === 'open_interest')) return 'spot markets have no funding or open interest';
      return null;
    },
    async resolve(symbols, ctx): Promise<ResolveResult> {
      const resolved: ResolvedSymbol[] = [];
      const unlisted: ResolveResult['unlisted'] = [];
      const perpsWanted = symbols.filter((s) => !isSpotSymbol(s));
      const spotsWanted = symbols.filter(isSpotSymbol);
      if (perpsWanted.length) {
        const body = await ctx.client.call('v3PublicGetBrokerageMarketProducts', { product_type: 'FUTURE' });
        const products = parseResponse(VENUE, 'market/products', ProductsResponseSchema, body).products;
        const perps = discoverCoinbasePerps(products);
        for (const s of perpsWanted) {
          const perp = perps.find((p) => p.symbol === s);
          if (!perp) {
            unlisted.push({
              symbol: s,
              reason: `no FUTURE product named "${baseOf(s)} PERP" is listed (listed perps: ${perps.map((p) => p.symbol).join(', ') || 'none'})`,
            });
            continue;
          }
          resolved.push({
            symbol: s,
            venue_symbol: perp.product.product_id,
            kind: 'perp',
            base: perp.base,
            instrument: coinbasePerpInstrument(perp),
            details: perp.product,
          });
        }
      }
      if (spotsWanted.length) {
        const body = await ctx.client.call('v3PublicGetBrokerageMarketProducts', { product_type: 'SPOT' });
        const products = parseResponse(VENUE, 'market/products', ProductsResponseSchema, body).products;
        for (const s of spotsWanted) {
          const p = products.find((x) => x.product_id === s && x.product_type === 'SPOT');
          if (!p) {
            unlisted.push({ symbol: s, reason: `no SPOT product ${s} is listed` });
            continue;
          }
          resolved.push({ symbol: s, venue_symbol: s, kind: 'spot', base: p.base_currency_id, instrument: coinbaseSpotInstrument(p), details: p });
        }
      }
      return { resolved, unlisted };
    },
    async *pages(task: Task, ctx: AdapterContext): AsyncGenerator<Page> {
      const sym = task.symbol;
      const contractSize = Number(sym.instrument['contract_size'] ?? 1);
      const keys = { venue: VENUE, symbol: sym.symbol };
      if (task.dataset === 'bars') {
        const tfUs = timeframeSeconds(task.timeframe) * US_PER_S;
        const gran = COINBASE_GRANULARITIES[task.timeframe] as string;
        const source = `${VENUE}:market/products/${sym.venue_symbol}/candles`;
        for (const w of barWindows(task.from, task.to, ctx.now, tfUs, ctx.config.pages.coinbase_candles)) {
          const body = await ctx.client.call('v3PublicGetBrokerageMarketProductsProductIdCandles', {
            product_id: sym.venue_symbol,
            start: String(w[0] / US_PER_S),
            // inclusive end: the last bar open of the window
            end: String((w[1] - tfUs) / US_PER_S),
            granularity: gran,
            limit: ctx.config.pages.coinbase_candles,
          });
          const bars = keepBars(mapCoinbaseCandles(body, contractSize), w, tfUs, ctx.now);
          const base = { ...keys, price: 'last' as const, timeframe: task.timeframe, tfUs, source, delayMs: ctx.config.delays.bars_ms, ingest: ctx.ingest };
          yield { rows: bars.map((b) => barRow(base, b)), cursor: w[1] + tfUs };
        }
        return;
      }
      if (task.dataset === 'trades') {
        yield* coinbaseTrades(task, ctx, contractSize);
        return;
      }
      const product = sym.details as CoinbaseProduct;
      const f = product.future_product_details;
      if (task.dataset === 'funding') {
        // The current (latest hourly) rate of the product details; Coinbase US has no funding history endpoint.
        const rows: Row[] = [];
        if (f?.funding_rate && f.funding_time && decimal.safeParse(f.funding_rate).success) {
          const t = isoToMicros(f.funding_time);
          if (t >= task.from && t < task.to && t <= ctx.now) {
            rows.push(
              clockRow(keys, t, ctx.config.delays.funding_ms, `${VENUE}:market/products(future_product_details.funding_rate)`, ctx.ingest, {
                funding_rate: Number(f.funding_rate),
                funding_interval_hours: durationHours(f.funding_interval) ?? COINBASE_PERP_FUNDING.accrual_hours,
                mark_price: null,
              }),
            );
          }
        }
        yield { rows, cursor: task.to };
        return;
      }
      if (task.dataset === 'open_interest') {
        // Current open interest (contracts) of the product details, stamped at receive time.
        const rows: Row[] = [];
        const now = Math.floor(ctx.now / 1000) * 1000;
        if (f?.open_interest && decimal.safeParse(f.open_interest).success && now >= task.from && now < task.to) {
          rows.push(
            clockRow(keys, now, 0, `${VENUE}:market/products(future_product_details.open_interest)`, ctx.ingest, {
              open_interest: Number(f.open_interest) * contractSize,
              open_interest_value: null,
            }),
          );
        }
        yield { rows, cursor: task.to };
        return;
      }
      throw new Error(`coinbase adapter: unsupported dataset ${task.dataset}`);
    },
  };
}

/**
 * Trades in windows of trades_window_ms, ascending; inside a window the endpoint answers the
 * latest `limit` trades before `end` (seconds), so it is paged backwards by moving `end` to the
 * oldest trade seen (that second again, deduplicated by trade id). A window is yielded whole.
 */
async function* coinbaseTrades(task: Task, ctx: AdapterContext, contractSize: number): AsyncGenerator<Page> {
  const sym = task.symbol;
  const limit = ctx.config.pages.coinbase_trades;
  const win = ctx.config.trades_window_ms * 1000;
  const to = Math.min(task.to, ctx.now);
  const source = `${VENUE}:market/products/${sym.venue_symbol}/ticker`;
  for (let ws = Math.floor(task.from / US_PER_S) * US_PER_S; ws < to; ws += win) {
    const we = Math.min(ws + win, Math.ceil(to / US_PER_S) * US_PER_S);
    const byId = new Map<string, Row>();
    let end = we / US_PER_S;
    for (;;) {
      const body = await ctx.client.call('v3PublicGetBrokerageMarketProductsProductIdTicker', {
        product_id: sym.venue_symbol,
        limit,
        start: String(ws / US_PER_S),
        end: String(end),
      });
      const r = parseResponse(VENUE, 'market/products/{product_id}/ticker', TickerResponseSchema, body);
      let fresh = 0;
      let oldest = Infinity;
      for (const t of r.trades) {
        const us = isoToMicros(t.time);
        oldest = Math.min(oldest, us);
        if (byId.has(t.trade_id)) continue;
        fresh++;
        if (us < task.from || us >= task.to || us < ws || us >= we) continue;
        byId.set(
          t.trade_id,
          clockRow({ venue: VENUE, symbol: sym.symbol }, us, ctx.config.delays.trades_ms, source, ctx.ingest, {
            trade_id: t.trade_id,
            price: Number(t.price),
            size: Number(t.size) * contractSize,
            // Advanced Trade reports the side of the trade as BUY/SELL; taken as the aggressor side
            side: t.side === 'BUY' ? 'buy' : t.side === 'SELL' ? 'sell' : null,
          }),
        );
      }
      if (r.trades.length < limit || fresh === 0) break;
      // Ask again up to the second of the oldest trade seen (inclusive; known trades are skipped
      // by id). When a whole page falls inside that second, `end` goes sub-second (the endpoint
      // takes a UNIX timestamp string; fractional seconds are assumed to be honoured).
      let next = Math.floor(oldest / US_PER_S) + 1;
      if (next >= end) next = (oldest + 1) / US_PER_S;
      if (next >= end || next <= ws / US_PER_S) break;
      end = next;
    }
    const rows = [...byId.values()].sort((a, b) => (a['event_time'] as number) - (b['event_time'] as number) || String(a['trade_id']).localeCompare(String(b['trade_id'])));
    yield { rows, cursor: we };
  }
}
