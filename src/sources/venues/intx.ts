import { z } from 'zod';
import { timeframeSeconds } from '../../domain/datasets.js';
import type { VenueDataset } from '../../domain/venue-config.js';
import {
  barRow,
  barWindows,
  clockRow,
  decimal,
  isoTime,
  isoToMicros,
  keepBars,
  microsToIso,
  numeric,
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
 * Coinbase International Exchange (ccxt `coinbaseinternational` implicit API, public):
 *   instruments  GET /api/v1/instruments                           v1PublicGetInstruments
 *   fee tiers    GET /api/v1/fee-rate-tiers                        v1PublicGetFeeRateTiers
 *   candles      GET /api/v1/instruments/{instrument}/candles      v1PublicGetInstrumentsInstrumentCandles
 *   funding      GET /api/v1/instruments/{instrument}/funding      v1PublicGetInstrumentsInstrumentFunding
 * Funding history is paged by offset, newest first; mark and index exist only as the current
 * quote of an instrument (no history), open interest likewise.
 */

const VENUE = 'coinbase-intx' as const;

const InstrumentSchema = z
  .object({
    symbol: z.string(),
    type: z.string(),
    base_asset_name: z.string(),
    quote_asset_name: z.string(),
    base_increment: decimal,
    quote_increment: decimal,
    funding_interval: z.string().optional(),
    open_interest: z.string().optional(),
    base_asset_multiplier: z.string().optional(),
    trading_state: z.string().optional(),
    quote: z
      .object({ mark_price: z.string().optional(), index_price: z.string().optional(), timestamp: isoTime.optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();
type IntxInstrument = z.infer<typeof InstrumentSchema>;

const FeeTiersSchema = z.array(
  z
    .object({
      instrument_type: z.string(),
      maker_fee_rate: decimal,
      taker_fee_rate: decimal,
      min_volume: decimal,
      min_balance: decimal.optional(),
    })
    .passthrough(),
);

const CandlesSchema = z
  .object({
    aggregations: z.array(z.object({ start: isoTime, open: decimal, high: decimal, low: decimal, close: decimal, volume: decimal }).passthrough()),
  })
  .passthrough();

const FundingSchema = z
  .object({
    results: z.array(z.object({ funding_rate: numeric, mark_price: z.union([numeric, z.literal('')]).optional(), event_time: isoTime }).passthrough()),
  })
  .passthrough();

export const INTX_GRANULARITIES: Record<string, string> = {
  '1m': 'ONE_MINUTE',
  '5m': 'FIVE_MINUTE',
  '15m': 'FIFTEEN_MINUTE',
  '30m': 'THIRTY_MINUTE',
  '1h': 'ONE_HOUR',
  '2h': 'TWO_HOUR',
  '6h': 'SIX_HOUR',
  '1d': 'ONE_DAY',
};

/** The instruments row of an INTX instrument, fees from the lowest perpetual (or spot) tier. */
export function intxInstrumentRow(i: IntxInstrument, tiers: z.infer<typeof FeeTiersSchema>): Row {
  const perp = i.type === 'PERP';
  const mine = tiers
    .filter((t) => t.instrument_type === (perp ? 'PERPETUAL_FUTURE' : 'SPOT'))
    .map((t) => ({ min_volume_30d: Number(t.min_volume), min_balance: Number(t.min_balance ?? 0), maker: Number(t.maker_fee_rate), taker: Number(t.taker_fee_rate) }))
    .sort((a, b) => a.min_volume_30d - b.min_volume_30d || a.min_balance - b.min_balance);
  // funding_interval is in nanoseconds ("3600000000000" = 1 h)
  const fundingHours = perp && i.funding_interval && Number(i.funding_interval) > 0 ? Number(i.funding_interval) / 3.6e12 : null;
  return {
    venue: VENUE,
    symbol: i.symbol,
    venue_symbol: i.symbol,
    kind: perp ? 'perp' : 'spot',
    base: i.base_asset_name,
    quote: i.quote_asset_name,
    settle: perp ? i.quote_asset_name : null,
    contract_size: Number(i.base_asset_multiplier ?? 1),
    tick_size: Number(i.quote_increment),
    lot_size: Number(i.base_increment),
    funding_interval_hours: fundingHours,
    funding_accrual_hours: fundingHours,
    maker_fee: mine[0]?.maker ?? null,
    taker_fee: mine[0]?.taker ?? null,
    fee_tiers: mine.length ? JSON.stringify(mine) : null,
    spot_venue: perp ? VENUE : null,
    spot_symbol: perp ? `${i.base_asset_name}-${i.quote_asset_name}` : null,
    expiry: null,
  };
}

export function mapIntxCandles(body: unknown): BarInput[] {
  const r = parseResponse(VENUE, 'instruments/{instrument}/candles', CandlesSchema, body);
  return r.aggregations.map((c) => ({
    open_time: isoToMicros(c.start),
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
    volume: Number(c.volume),
    quote_volume: null,
    trade_count: null,
  }));
}

export function intxAdapter(): VenueAdapter {
  return {
    venue: VENUE,
    timeframes: Object.keys(INTX_GRANULARITIES),
    canonical: (s) => (s.includes('-') ? s : `${s}-PERP`),
    unsupported(dataset: VenueDataset, kind) {
      if (dataset === 'mark' || dataset === 'index') return 'Coinbase International publishes mark and index only as the current quote, no history';
      if (dataset === 'trades') return 'Coinbase International has no public trade history endpoint';
      if (kind === 'spot' && (dataset === 'funding' || dataset === 'open_interest')) return 'spot markets have no funding or open interest';
      return null;
    },
    async resolve(symbols, ctx): Promise<ResolveResult> {
      const instruments = parseResponse(VENUE, 'instruments', z.array(InstrumentSchema), await ctx.client.call('v1PublicGetInstruments', {}));
      const tiers = parseResponse(VENUE, 'fee-rate-tiers', FeeTiersSchema, await ctx.client.call('v1PublicGetFeeRateTiers', {}));
      const resolved: ResolvedSymbol[] = [];
      const unlisted: ResolveResult['unlisted'] = [];
      for (const s of symbols) {
        const i = instruments.find((x) => x.symbol === s);
        if (!i) {
          unlisted.push({ symbol: s, reason: `not among the ${instruments.length} instruments listed (${instruments.map((x) => x.symbol).join(', ')})` });
          continue;
        }
        resolved.push({ symbol: s, venue_symbol: i.symbol, kind: i.type === 'PERP' ? 'perp' : 'spot', base: i.base_asset_name, instrument: intxInstrumentRow(i, tiers), details: i });
      }
      return { resolved, unlisted };
    },
    async *pages(task: Task, ctx: AdapterContext): AsyncGenerator<Page> {
      const sym = task.symbol;
      const keys = { venue: VENUE, symbol: sym.symbol };
      if (task.dataset === 'bars') {
        const tfUs = timeframeSeconds(task.timeframe) * US_PER_S;
        const source = `${VENUE}:instruments/${sym.venue_symbol}/candles`;
        for (const w of barWindows(task.from, task.to, ctx.now, tfUs, ctx.config.pages.intx_candles)) {
          const body = await ctx.client.call('v1PublicGetInstrumentsInstrumentCandles', {
            instrument: sym.venue_symbol,
            granularity: INTX_GRANULARITIES[task.timeframe],
            start: microsToIso(w[0]),
            end: microsToIso(w[1] - tfUs),
          });
          const bars = keepBars(mapIntxCandles(body), w, tfUs, ctx.now);
          const base = { ...keys, price: 'last' as const, timeframe: task.timeframe, tfUs, source, delayMs: ctx.config.delays.bars_ms, ingest: ctx.ingest };
          yield { rows: bars.map((b) => barRow(base, b)), cursor: w[1] + tfUs };
        }
        return;
      }
      if (task.dataset === 'funding') {
        // Newest first by offset: collected down to `from`, then yielded in time order as one
        // page, so an interrupted run never leaves newer rows stored above a hole.
        const limit = ctx.config.pages.intx_funding;
        const rows = new Map<number, Row>();
        const source = `${VENUE}:instruments/${sym.venue_symbol}/funding`;
        const hours = (sym.instrument['funding_interval_hours'] as number | null) ?? null;
        for (let offset = 0; ; offset += limit) {
          const body = await ctx.client.call('v1PublicGetInstrumentsInstrumentFunding', {
            instrument: sym.venue_symbol,
            result_limit: limit,
            result_offset: offset,
          });
          const r = parseResponse(VENUE, 'instruments/{instrument}/funding', FundingSchema, body);
          let oldest = Infinity;
          for (const f of r.results) {
            const t = isoToMicros(f.event_time);
            oldest = Math.min(oldest, t);
            if (t < task.from || t >= task.to || t > ctx.now) continue;
            rows.set(
              t,
              clockRow(keys, t, ctx.config.delays.funding_ms, source, ctx.ingest, {
                funding_rate: Number(f.funding_rate),
                funding_interval_hours: hours,
                mark_price: f.mark_price !== undefined && f.mark_price !== '' && Number(f.mark_price) > 0 ? Number(f.mark_price) : null,
              }),
            );
          }
          if (r.results.length < limit || oldest < task.from) break;
        }
        yield { rows: [...rows.values()].sort((a, b) => (a['event_time'] as number) - (b['event_time'] as number)), cursor: task.to };
        return;
      }
      if (task.dataset === 'open_interest') {
        const i = sym.details as IntxInstrument;
        const rows: Row[] = [];
        if (i.open_interest && i.quote?.timestamp && decimal.safeParse(i.open_interest).success) {
          const t = isoToMicros(i.quote.timestamp);
          const mark = Number(i.quote.mark_price);
          if (t >= task.from && t < task.to) {
            rows.push(
              clockRow(keys, t, 0, `${VENUE}:instruments(open_interest)`, ctx.ingest, {
                open_interest: Number(i.open_interest),
                open_interest_value: Number.isFinite(mark) && mark > 0 ? Number(i.open_interest) * mark : null,
              }),
            );
          }
        }
        yield { rows, cursor: task.to };
        return;
      }
      throw new Error(`coinbase-intx adapter: unsupported dataset ${task.dataset}`);
    },
  };
}
