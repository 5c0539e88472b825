import { z } from 'zod';
import { VENUE_STATIC } from '../../domain/config.js';
import { BAR_TIMEFRAMES, timeframeSeconds, type PriceType } from '../../domain/datasets.js';
import type { VenueDataset } from '../../domain/venue-config.js';
import {
  barRow,
  barWindows,
  clockRow,
  decimal,
  keepBars,
  numeric,
  parseResponse,
  priceOf,
  US_PER_MS,
  US_PER_S,
  type AdapterContext,
  type BarInput,
  type Page,
  type ResolveResult,
  type Row,
  type Task,
  type VenueAdapter,
} from './common.js';

/**
 * Binance USD-M futures (ccxt `binanceusdm`) and spot (ccxt `binance`), implicit public API:
 *   USD-M klines        GET /fapi/v1/klines                fapiPublicGetKlines
 *   USD-M mark klines   GET /fapi/v1/markPriceKlines       fapiPublicGetMarkPriceKlines
 *   USD-M index klines  GET /fapi/v1/indexPriceKlines      fapiPublicGetIndexPriceKlines (pair=BTCUSDT)
 *   USD-M funding       GET /fapi/v1/fundingRate           fapiPublicGetFundingRate
 *   USD-M OI history    GET /futures/data/openInterestHist fapiDataGetOpenInterestHist (last 30 days only)
 *   USD-M trades        GET /fapi/v1/aggTrades             fapiPublicGetAggTrades
 *   spot klines         GET /api/v3/klines                 publicGetKlines
 *   spot trades         GET /api/v3/aggTrades              publicGetAggTrades
 * Instruments are static facts (config.ts VENUE_STATIC): no request.
 */

type BinanceVenue = 'binance-usdm' | 'binance-spot';

const KlinesSchema = z.array(
  z.tuple([z.number().int(), decimal, decimal, decimal, decimal, decimal, z.number().int(), decimal, z.number().int()]).rest(z.unknown()),
);
const FundingSchema = z.array(
  z.object({ symbol: z.string(), fundingTime: z.number().int(), fundingRate: decimal, markPrice: z.string().optional() }).passthrough(),
);
const OpenInterestSchema = z.array(
  z.object({ symbol: z.string(), sumOpenInterest: decimal, sumOpenInterestValue: decimal, timestamp: numeric }).passthrough(),
);
const AggTradesSchema = z.array(
  z.object({ a: z.number().int(), p: decimal, q: decimal, T: z.number().int(), m: z.boolean() }).passthrough(),
);

/** Klines of one response; mark and index klines carry no volume. */
export function mapBinanceKlines(venue: BinanceVenue, endpoint: string, body: unknown, price: PriceType): BarInput[] {
  const rows = parseResponse(venue, endpoint, KlinesSchema, body);
  return rows.map((k) => ({
    open_time: k[0] * US_PER_MS,
    open: Number(k[1]),
    high: Number(k[2]),
    low: Number(k[3]),
    close: Number(k[4]),
    volume: price === 'last' ? Number(k[5]) : null,
    quote_volume: price === 'last' ? Number(k[7]) : null,
    trade_count: price === 'last' ? k[8] : null,
  }));
}

export function binanceInstrument(venue: BinanceVenue, symbol: string, base: string): Row {
  const perp = venue === 'binance-usdm';
  const fees = VENUE_STATIC[venue];
  return {
    venue,
    symbol,
    venue_symbol: `${base}USDT`,
    kind: perp ? 'perp' : 'spot',
    base,
    quote: fees.quote,
    settle: perp ? 'USDT' : null,
    contract_size: 1,
    tick_size: null,
    lot_size: null,
    funding_interval_hours: perp ? VENUE_STATIC['binance-usdm'].funding_interval_hours : null,
    funding_accrual_hours: perp ? VENUE_STATIC['binance-usdm'].funding_interval_hours : null,
    maker_fee: fees.maker_fee,
    taker_fee: fees.taker_fee,
    fee_tiers: JSON.stringify([{ min_volume_30d: 0, maker: fees.maker_fee, taker: fees.taker_fee }]),
    spot_venue: perp ? 'binance-spot' : null,
    spot_symbol: perp ? `${base}-SPOT` : null,
    expiry: null,
  };
}

const KLINE_METHODS: Record<BinanceVenue, Partial<Record<PriceType, { method: string; path: string; param: 'symbol' | 'pair' }>>> = {
  'binance-usdm': {
    last: { method: 'fapiPublicGetKlines', path: 'fapi/v1/klines', param: 'symbol' },
    mark: { method: 'fapiPublicGetMarkPriceKlines', path: 'fapi/v1/markPriceKlines', param: 'symbol' },
    index: { method: 'fapiPublicGetIndexPriceKlines', path: 'fapi/v1/indexPriceKlines', param: 'pair' },
  },
  'binance-spot': {
    last: { method: 'publicGetKlines', path: 'api/v3/klines', param: 'symbol' },
  },
};

export function binanceAdapter(venue: BinanceVenue): VenueAdapter {
  const perp = venue === 'binance-usdm';
  const suffix = perp ? 'PERP' : 'SPOT';
  return {
    venue,
    timeframes: Object.keys(BAR_TIMEFRAMES),
    canonical: (s) => (s.includes('-') ? s : `${s}-${suffix}`),
    unsupported(dataset: VenueDataset) {
      if (!perp && (dataset === 'mark' || dataset === 'index' || dataset === 'funding' || dataset === 'open_interest')) {
        return 'a spot market has no mark/index klines, funding or open interest';
      }
      return null;
    },
    async resolve(symbols): Promise<ResolveResult> {
      const resolved: ResolveResult['resolved'] = [];
      const unlisted: ResolveResult['unlisted'] = [];
      for (const s of symbols) {
        const m = new RegExp(`^([A-Z0-9]+)-${suffix}$`).exec(s);
        if (!m) {
          unlisted.push({ symbol: s, reason: `${venue} symbols are BASE-${suffix} (e.g. BTC-${suffix})` });
          continue;
        }
        const base = m[1] as string;
        resolved.push({ symbol: s, venue_symbol: `${base}USDT`, kind: perp ? 'perp' : 'spot', base, instrument: binanceInstrument(venue, s, base) });
      }
      return { resolved, unlisted };
    },
    async *pages(task: Task, ctx: AdapterContext): AsyncGenerator<Page> {
      const sym = task.symbol;
      const keys = { venue, symbol: sym.symbol };
      const price = priceOf(task.dataset);
      if (price) {
        const m = KLINE_METHODS[venue][price];
        if (!m) throw new Error(`${venue}: no ${price} klines`);
        const tfUs = timeframeSeconds(task.timeframe) * US_PER_S;
        const limit = perp ? ctx.config.pages.binance_usdm_klines : ctx.config.pages.binance_spot_klines;
        const source = `${venue}:${m.path}`;
        for (const w of barWindows(task.from, task.to, ctx.now, tfUs, limit)) {
          const body = await ctx.client.call(m.method, {
            [m.param]: sym.venue_symbol,
            interval: task.timeframe,
            startTime: w[0] / US_PER_MS,
            endTime: (w[1] - tfUs) / US_PER_MS,
            limit,
          });
          const bars = keepBars(mapBinanceKlines(venue, m.path, body, price), w, tfUs, ctx.now);
          const base = { ...keys, price, timeframe: task.timeframe, tfUs, source, delayMs: ctx.config.delays.bars_ms, ingest: ctx.ingest };
          yield { rows: bars.map((b) => barRow(base, b)), cursor: w[1] + tfUs };
        }
        return;
      }
      const to = Math.min(task.to, ctx.now + 1);
      if (task.dataset === 'funding') {
        const limit = ctx.config.pages.binance_funding;
        const source = `${venue}:fapi/v1/fundingRate`;
        let start = Math.ceil(task.from / US_PER_MS);
        while (start * US_PER_MS < to) {
          const body = await ctx.client.call('fapiPublicGetFundingRate', {
            symbol: sym.venue_symbol,
            startTime: start,
            endTime: Math.ceil(to / US_PER_MS) - 1,
            limit,
          });
          const page = parseResponse(venue, 'fapi/v1/fundingRate', FundingSchema, body);
          const rows = page
            .map((f) => ({ f, t: f.fundingTime * US_PER_MS }))
            .filter(({ t }) => t >= task.from && t < to)
            .sort((a, b) => a.t - b.t)
            .map(({ f, t }) =>
              clockRow(keys, t, ctx.config.delays.funding_ms, source, ctx.ingest, {
                funding_rate: Number(f.fundingRate),
                funding_interval_hours: VENUE_STATIC['binance-usdm'].funding_interval_hours,
                mark_price: f.markPrice && Number(f.markPrice) > 0 ? Number(f.markPrice) : null,
              }),
            );
          const last = page.reduce((mx, f) => Math.max(mx, f.fundingTime), -1);
          yield { rows, cursor: last >= 0 ? last * US_PER_MS : to };
          if (page.length < limit || last < start) break;
          start = last + 1;
        }
        return;
      }
      if (task.dataset === 'open_interest') {
        const limit = ctx.config.pages.binance_open_interest;
        const source = `${venue}:futures/data/openInterestHist`;
        const oldest = ctx.now - ctx.config.binance_oi_history_days * 86_400 * US_PER_S;
        let start = Math.ceil(Math.max(task.from, oldest) / US_PER_MS);
        while (start * US_PER_MS < to) {
          const body = await ctx.client.call('fapiDataGetOpenInterestHist', {
            symbol: sym.venue_symbol,
            period: ctx.config.binance_oi_period,
            startTime: start,
            endTime: Math.ceil(to / US_PER_MS) - 1,
            limit,
          });
          const page = parseResponse(venue, 'futures/data/openInterestHist', OpenInterestSchema, body);
          const rows = page
            .map((o) => ({ o, t: Number(o.timestamp) * US_PER_MS }))
            .filter(({ t }) => t >= task.from && t < to)
            .sort((a, b) => a.t - b.t)
            .map(({ o, t }) =>
              clockRow(keys, t, ctx.config.delays.open_interest_ms, source, ctx.ingest, {
                open_interest: Number(o.sumOpenInterest),
                open_interest_value: Number(o.sumOpenInterestValue),
              }),
            );
          const last = page.reduce((mx, o) => Math.max(mx, Number(o.timestamp)), -1);
          yield { rows, cursor: last >= 0 ? last * US_PER_MS : to };
          if (page.length < limit || last < start) break;
          start = last + 1;
        }
        return;
      }
      if (task.dataset === 'trades') {
        yield* binanceTrades(venue, task, ctx, to);
        return;
      }
      throw new Error(`${venue} adapter: unsupported dataset ${task.dataset}`);
    },
  };
}

/**
 * aggTrades: the first trade at or after `from` is found with a time window of at most one hour
 * (the endpoint's limit), moving the window forward while it is empty; from there on pages follow
 * the aggregate trade id (fromId), which neither skips nor repeats trades.
 */
async function* binanceTrades(venue: BinanceVenue, task: Task, ctx: AdapterContext, to: number): AsyncGenerator<Page> {
  const perp = venue === 'binance-usdm';
  const method = perp ? 'fapiPublicGetAggTrades' : 'publicGetAggTrades';
  const path = perp ? 'fapi/v1/aggTrades' : 'api/v3/aggTrades';
  const limit = ctx.config.pages.binance_trades;
  const source = `${venue}:${path}`;
  const sym = task.symbol;
  const HOUR_MS = 3_600_000;
  let fromId: number | null = null;
  let windowStart = Math.ceil(task.from / US_PER_MS);
  const toMs = Math.ceil(to / US_PER_MS);
  for (;;) {
    if (fromId === null && windowStart >= toMs) return;
    const params: Record<string, unknown> =
      fromId === null
        ? { symbol: sym.venue_symbol, startTime: windowStart, endTime: Math.min(windowStart + HOUR_MS, toMs) - 1, limit }
        : { symbol: sym.venue_symbol, fromId, limit };
    const page = parseResponse(venue, path, AggTradesSchema, await ctx.client.call(method, params));
    if (page.length === 0) {
      if (fromId !== null) return;
      windowStart += HOUR_MS;
      yield { rows: [], cursor: windowStart * US_PER_MS };
      continue;
    }
    const sorted = [...page].sort((a, b) => a.a - b.a);
    const rows = sorted
      .filter((t) => t.T * US_PER_MS >= task.from && t.T * US_PER_MS < to)
      .map((t) =>
        clockRow({ venue, symbol: sym.symbol }, t.T * US_PER_MS, ctx.config.delays.trades_ms, source, ctx.ingest, {
          trade_id: String(t.a),
          price: Number(t.p),
          size: Number(t.q),
          // m = the buyer was the maker, so the taker sold
          side: t.m ? 'sell' : 'buy',
        }),
      );
    const last = sorted[sorted.length - 1] as (typeof sorted)[number];
    yield { rows, cursor: Math.min(last.T * US_PER_MS, to) };
    if (last.T * US_PER_MS >= to || (fromId !== null && page.length < limit)) return;
    fromId = last.a + 1;
  }
}
