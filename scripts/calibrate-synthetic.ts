/**
 * Calibration of the synthetic market generator (src/sources/synthetic/) on the real Binance
 * candles in ../shared/data/binance-candles. Dev-time only: the generator never reads ../shared;
 * the numbers printed here are copied into src/sources/synthetic/calibration.ts and its README.
 *
 * Run: npx tsx scripts/calibrate-synthetic.ts [DIR]   (default ../shared/data/binance-candles)
 */
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = resolve(process.argv[2] ?? join(process.cwd(), '..', 'shared', 'data', 'binance-candles'));
const inst = await DuckDBInstance.create(':memory:');
const conn = await inst.connect();
const all = async (sql: string): Promise<Array<Record<string, unknown>>> =>
  (await conn.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
const csv = (f: string): string => `read_csv('${join(dir, f).replace(/'/g, "''")}', header = true)`;

const out: Record<string, unknown> = { source_dir: dir };

/** Log returns of a candle file with their minute count. */
const rets = (f: string, minutes: number): string => `(
  SELECT "date"::TIMESTAMP AS t, close, volume,
         ln(close / lag(close) OVER (ORDER BY "date")) AS r, ${minutes} AS m
  FROM ${csv(f)})`;

const marg = async (f: string, minutes: number): Promise<Record<string, unknown>> => {
  const [row] = await all(`WITH x AS (SELECT * FROM ${rets(f, minutes)} WHERE r IS NOT NULL),
    a AS (SELECT abs(r) AS a, lag(abs(r)) OVER (ORDER BY t) AS a1 FROM x)
    SELECT count(*) AS n, min(t)::VARCHAR AS first, max(t)::VARCHAR AS last,
      stddev_samp(r) / sqrt(${minutes}) AS vol_per_minute,
      stddev_samp(r) * sqrt(525600 / ${minutes}) AS vol_annual,
      kurtosis(r) AS excess_kurtosis,
      (SELECT corr(a, a1) FROM a) AS abs_ret_autocorr_lag1
    FROM x`);
  return row ?? {};
};

const assets = ['BTC', 'ETH', 'SOL'];
const perp15: Record<string, unknown> = {};
const perp1h: Record<string, unknown> = {};
for (const a of assets) {
  perp15[a] = await marg(`usdm/${a}_USDT_USDT-15m-futures.csv.gz`, 15);
  perp1h[a] = await marg(`usdm/${a}_USDT_USDT-1h-futures.csv.gz`, 60);
}
perp1h['XRP'] = await marg('usdm/XRP_USDT_USDT-1h-futures.csv.gz', 60);
out['perp_15m'] = perp15;
out['perp_1h'] = perp1h;
const spot5: Record<string, unknown> = {};
for (const a of assets) spot5[a] = await marg(`spot/${a}_USDT-5m.csv.gz`, 5);
out['spot_5m'] = spot5;

// Volatility clustering at longer lags (1h perp, BTC): autocorrelation of |r| at 1, 6, 24 h.
out['btc_1h_abs_ret_autocorr'] = (
  await all(`WITH x AS (SELECT t, abs(r) AS a FROM ${rets('usdm/BTC_USDT_USDT-1h-futures.csv.gz', 60)} WHERE r IS NOT NULL)
    SELECT corr(a, l1) AS lag1, corr(a, l6) AS lag6, corr(a, l24) AS lag24 FROM (
      SELECT a, lag(a, 1) OVER w AS l1, lag(a, 6) OVER w AS l6, lag(a, 24) OVER w AS l24 FROM x WINDOW w AS (ORDER BY t))`)
)[0];

// Intraday volume profile: share of the day's volume per UTC hour, BTC/ETH/SOL 1h perps averaged.
const prof = await all(`WITH v AS (
    ${assets.map((a) => `SELECT '${a}' AS a, "date"::TIMESTAMP AS t, volume FROM ${csv(`usdm/${a}_USDT_USDT-1h-futures.csv.gz`)}`).join(' UNION ALL ')}),
  d AS (SELECT a, t, volume / sum(volume) OVER (PARTITION BY a, date_trunc('day', t)) AS share FROM v)
  SELECT hour(t) AS h, avg(share) * 24 AS rel FROM d GROUP BY 1 ORDER BY 1`);
out['volume_profile_by_utc_hour_relative'] = prof.map((r) => Number(Number(r['rel']).toFixed(3)));

// Intraday volatility profile (|r| by hour relative to the mean), BTC 1h perp.
const vprof = await all(`WITH x AS (SELECT t, abs(r) AS a FROM ${rets('usdm/BTC_USDT_USDT-1h-futures.csv.gz', 60)} WHERE r IS NOT NULL)
  SELECT hour(t) AS h, avg(a) / (SELECT avg(a) FROM x) AS rel FROM x GROUP BY 1 ORDER BY 1`);
out['abs_return_profile_by_utc_hour_relative'] = vprof.map((r) => Number(Number(r['rel']).toFixed(3)));

// Correlation to BTC (15m perp returns; XRP on 1h).
const corr = async (a: string, tf: string, m: number): Promise<number> => {
  const [row] = await all(`SELECT corr(x.r, b.r) AS c FROM ${rets(`usdm/${a}_USDT_USDT-${tf}-futures.csv.gz`, m)} x
    JOIN ${rets(`usdm/BTC_USDT_USDT-${tf}-futures.csv.gz`, m)} b USING (t) WHERE x.r IS NOT NULL AND b.r IS NOT NULL`);
  return Number(row?.['c']);
};
out['corr_to_btc'] = {
  ETH_15m: await corr('ETH', '15m', 15),
  SOL_15m: await corr('SOL', '15m', 15),
  ETH_1h: await corr('ETH', '1h', 60),
  SOL_1h: await corr('SOL', '1h', 60),
  XRP_1h: await corr('XRP', '1h', 60),
};

// Funding: level and variability of the 8h settled rate; persistence (AR(1)).
const fund: Record<string, unknown> = {};
for (const a of [...assets, 'XRP']) {
  fund[a] = (
    await all(`WITH f AS (SELECT "date"::TIMESTAMP AS t, funding_rate AS f FROM ${csv(`usdm/${a}_USDT_USDT-8h-funding_rate.csv.gz`)})
      SELECT count(*) AS n, avg(f) AS mean_per_8h, stddev_samp(f) AS std_per_8h, avg((f > 0)::INT) AS share_positive,
        (SELECT corr(f, l) FROM (SELECT f, lag(f) OVER (ORDER BY t) AS l FROM f)) AS ar1
      FROM f`)
  )[0];
}
out['funding_8h'] = fund;

// Basis: perp close vs spot close at the same bar close, in bps; AR(1) per bar; perp/spot volume ratio.
const basis = async (a: string, perpTf: string, spotTf: string, m: number): Promise<Record<string, unknown>> =>
  (
    await all(`WITH j AS (
        SELECT p."date"::TIMESTAMP AS t, 1e4 * ln(p.close / s.close) AS b, p.volume / s.volume AS vr
        FROM ${csv(`usdm/${a}_USDT_USDT-${perpTf}-futures.csv.gz`)} p JOIN ${csv(`spot/${a}_USDT-${spotTf}.csv.gz`)} s USING ("date"))
      SELECT count(*) AS n, avg(b) AS mean_bps, stddev_samp(b) AS std_bps, quantile_cont(b, 0.05) AS p05_bps, quantile_cont(b, 0.95) AS p95_bps,
        (SELECT corr(b, l) FROM (SELECT b, lag(b) OVER (ORDER BY t) AS l FROM j)) AS ar1_per_bar,
        ln(2) / -ln((SELECT corr(b, l) FROM (SELECT b, lag(b) OVER (ORDER BY t) AS l FROM j))) * ${m} AS half_life_minutes,
        median(vr) AS median_perp_spot_volume_ratio, stddev_samp(ln(vr)) AS std_log_volume_ratio
      FROM j`)
  )[0] ?? {};
const bas: Record<string, unknown> = {};
for (const a of assets) {
  bas[`${a}_1h`] = await basis(a, '1h', '1h', 60);
  // 15m perp vs the 5m spot bar opening 10 minutes later: both close at the same instant.
  bas[`${a}_15m`] = (
    await all(`WITH j AS (
        SELECT p."date"::TIMESTAMP AS t, 1e4 * ln(p.close / s.close) AS b
        FROM ${csv(`usdm/${a}_USDT_USDT-15m-futures.csv.gz`)} p JOIN ${csv(`spot/${a}_USDT-5m.csv.gz`)} s
          ON s."date"::TIMESTAMP = p."date"::TIMESTAMP + INTERVAL 10 MINUTE)
      SELECT count(*) AS n, avg(b) AS mean_bps, stddev_samp(b) AS std_bps,
        (SELECT corr(b, l) FROM (SELECT b, lag(b) OVER (ORDER BY t) AS l FROM j)) AS ar1_per_bar,
        ln(2) / -ln((SELECT corr(b, l) FROM (SELECT b, lag(b) OVER (ORDER BY t) AS l FROM j))) * 15 AS half_life_minutes
      FROM j`)
  )[0];
}
out['basis'] = bas;

// Mark vs last (1h closes): the mark-last gap in bps.
out['mark_minus_last_1h_bps'] = (
  await all(`SELECT avg(1e4 * ln(m.close / p.close)) AS mean, stddev_samp(1e4 * ln(m.close / p.close)) AS std
    FROM ${csv('usdm/BTC_USDT_USDT-1h-mark.csv.gz')} m JOIN ${csv('usdm/BTC_USDT_USDT-1h-futures.csv.gz')} p USING ("date")`)
)[0];

console.log(JSON.stringify(out, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v), 2));
conn.closeSync();
inst.closeSync();
