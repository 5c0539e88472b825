import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckSession } from '../../src/store/duckdb.js';
import { silentLogger, type ServiceContext } from '../../src/domain/context.js';
import { DATASETS, DATASET_NAMES } from '../../src/domain/datasets.js';
import { contentHash, datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { generateSynthetic, type SyntheticResult } from '../../src/services/synthetic.js';
import { DEFAULT_EFFECTS, NO_EFFECTS, effectsFrom, type Effects } from '../../src/sources/synthetic/effects.js';
import { treeHash } from '../helpers.js';

/**
 * The planted effects of the synthetic market are recovered here by direct estimates on the
 * written files (not by reading the generator's state), and are absent under --effects none.
 * Spans are small (days of 1m bars, two assets) to keep the suite fast; tolerances are several
 * standard errors wide, and the seeds are fixed, so the numbers are the same on every run.
 */

const FROM = Date.UTC(2025, 0, 1) * 1000;
const DAY = 86_400_000_000;
const dirs: string[] = [];
let db: DuckSession;
let ctx: ServiceContext;

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'perpkit-syn-'));
  dirs.push(d);
  return d;
}

async function gen(
  effects: Effects,
  name: string,
  o: { bases?: string[]; days?: number; seed?: number; ticks?: boolean; root?: string } = {},
): Promise<{ root: string; r: SyntheticResult }> {
  const root = o.root ?? dir();
  const r = await generateSynthetic(
    {
      root,
      venue: 'synthetic',
      bases: o.bases ?? ['BTC', 'ETH'],
      from: FROM,
      to: FROM + (o.days ?? 14) * DAY,
      timeframe: '1m',
      seed: o.seed ?? 7,
      effects,
      effects_name: name,
      cadence: 'coinbase',
      with_ticks: o.ticks ?? false,
    },
    ctx,
  );
  return { root, r };
}

/** Per-minute perp/spot table `w_<tag>`: log closes, volumes, 1m returns, basis (bps), regime. */
async function minuteTable(tag: string, root: string): Promise<void> {
  await db.exec(`CREATE OR REPLACE TABLE bars_${tag} AS SELECT * FROM ${SCAN_SQL} WHERE price = 'last'`, {
    files: listOf(await datasetFiles(root, DATASETS.bars)),
  });
  await db.exec(
    `CREATE OR REPLACE TABLE reg_${tag} AS SELECT * FROM read_parquet($f)`,
    { f: join(root, 'synthetic', 'ground_truth', 'synthetic', 'regimes.parquet') },
  );
  await db.exec(`CREATE OR REPLACE TABLE w_${tag} AS
    SELECT *, rp - lag(rp, 1) OVER w0 * 0 AS _x FROM (
      SELECT p.symbol AS sym, p.event_time AS t, ln(p.close) AS lp, ln(s.close) AS ls, p.volume AS pv, s.volume AS sv,
        1e4 * ln(p.close / s.close) AS b,
        ln(p.close) - lag(ln(p.close)) OVER (PARTITION BY p.symbol ORDER BY p.event_time) AS rp,
        ln(s.close) - lag(ln(s.close)) OVER (PARTITION BY p.symbol ORDER BY p.event_time) AS rs,
        (SELECT regime FROM reg_${tag} r WHERE r.start_time <= p.open_time AND p.open_time < r.end_time) AS regime
      FROM bars_${tag} p JOIN bars_${tag} s ON s.symbol = replace(p.symbol, '-PERP', '-SPOT') AND s.event_time = p.event_time
      WHERE p.symbol LIKE '%-PERP') WINDOW w0 AS (PARTITION BY sym ORDER BY t)`);
}

async function num(sql: string): Promise<number> {
  return Number(await db.scalar(sql));
}

/** corr(perp return k minutes earlier, spot return now) over minutes matching `where`. */
async function leadCorr(tag: string, k: number, where = 'true'): Promise<number> {
  return num(`SELECT corr(rpk, rs) FROM (SELECT rs, regime, pv, sv, vr, lag(rp, ${k}) OVER (PARTITION BY sym ORDER BY t) AS rpk
    FROM (SELECT *, avg(ln(pv / sv)) OVER (PARTITION BY sym ORDER BY t ROWS BETWEEN 59 PRECEDING AND CURRENT ROW) AS vr FROM w_${tag})) WHERE ${where}`);
}

let dflt: { root: string; r: SyntheticResult };
let none: { root: string; r: SyntheticResult };

beforeAll(async () => {
  db = await DuckSession.open();
  ctx = { db, log: silentLogger, clock: { now: () => Date.parse('2026-11-22T12:00:00Z') }, signal: new AbortController().signal };
  dflt = await gen(DEFAULT_EFFECTS, 'default');
  none = await gen(NO_EFFECTS, 'none');
  await minuteTable('d', dflt.root);
  await minuteTable('n', none.root);
});

afterAll(() => {
  db?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('synthetic market: datasets', () => {
  it('writes bars (last, mark, index), funding, open interest, ticker and instruments with two clocks', async () => {
    const byName = Object.fromEntries(dflt.r.writes.map((w) => [w.dataset, w.rows_in]));
    const minutes = 14 * 1440;
    expect(byName).toEqual({
      bars: minutes * 8,
      open_interest: (minutes / 5) * 2,
      funding: 14 * 2 * 2,
      derivative_ticker: 14 * 24 * 2,
      instruments: 4,
    });
    const [chk] = await db.all(
      `SELECT count(*) FILTER (WHERE available_time < event_time)::INT AS time_travel,
              count(*) FILTER (WHERE epoch(event_time - open_time) <> 60)::INT AS bad_interval,
              count(*) FILTER (WHERE NOT (low <= least(open, close) AND high >= greatest(open, close) AND low > 0))::INT AS bad_ohlc,
              count(DISTINCT price)::INT AS prices
       FROM ${SCAN_SQL}`,
      { files: listOf(await datasetFiles(dflt.root, DATASETS.bars)) },
    );
    expect(chk).toEqual({ time_travel: 0, bad_interval: 0, bad_ohlc: 0, prices: 3 });
    const inst = await db.all(`SELECT symbol, kind, spot_venue, spot_symbol, funding_interval_hours, funding_accrual_hours FROM ${SCAN_SQL} ORDER BY symbol`, {
      files: listOf(await datasetFiles(dflt.root, DATASETS.instruments)),
    });
    expect(inst[0]).toEqual({ symbol: 'BTC-PERP', kind: 'perp', spot_venue: 'synthetic', spot_symbol: 'BTC-SPOT', funding_interval_hours: 12, funding_accrual_hours: 1 });
    // Funding: settled at 00:00 and 12:00 UTC; a few late publications; stale predicted funding in the ticker.
    const [f] = await db.all(
      `SELECT count(*) FILTER (WHERE hour(event_time) NOT IN (0, 12) OR minute(event_time) <> 0)::INT AS off_schedule,
              max(epoch(available_time - event_time)) AS max_delay_s, min(epoch(available_time - event_time)) AS min_delay_s
       FROM ${SCAN_SQL}`,
      { files: listOf(await datasetFiles(dflt.root, DATASETS.funding)) },
    );
    expect(f).toMatchObject({ off_schedule: 0, min_delay_s: 5 });
    expect(Number(f?.['max_delay_s'])).toBeGreaterThan(60);
    const truth = JSON.parse(readFileSync(join(dflt.r.ground_truth, 'truth.json'), 'utf8')) as { seed: number; effects: Effects };
    expect(truth.seed).toBe(7);
    expect(truth.effects).toEqual(DEFAULT_EFFECTS);
  });

  it('is deterministic: the same seed and arguments give identical content and identical files', async () => {
    const again = await gen(DEFAULT_EFFECTS, 'default');
    for (const name of DATASET_NAMES) {
      const a = await contentHash(ctx, dflt.root, DATASETS[name]);
      const b = await contentHash(ctx, again.root, DATASETS[name]);
      expect(b, name).toEqual(a);
      expect(treeHash(join(again.root, name)), name).toBe(treeHash(join(dflt.root, name)));
    }
    expect(treeHash(join(again.root, 'synthetic'))).toBe(treeHash(join(dflt.root, 'synthetic')));
    // A different seed gives other data.
    const other = await gen(DEFAULT_EFFECTS, 'default', { seed: 8, days: 1 });
    const one = await gen(DEFAULT_EFFECTS, 'default', { days: 1 });
    expect((await contentHash(ctx, other.root, DATASETS.bars)).hash).not.toBe((await contentHash(ctx, one.root, DATASETS.bars)).hash);
  });
});

describe('synthetic market: marginals', () => {
  it('null and effect modes share volatility, kurtosis and clustering', async () => {
    // Perp at 1 minute; spot at 15 minutes: the H3 lead makes 1-minute spot returns smoother by
    // design (spot takes part of each move a minute late), which washes out at longer horizons.
    const stats = async (tag: string, market: 'p' | 's', minutes: number): Promise<{ vol: number; kurt: number; clus: number }> => {
      const [r] = await db.all(`WITH x AS (
          SELECT sym, t, l${market} - lag(l${market}) OVER (PARTITION BY sym ORDER BY t) AS r FROM w_${tag}
          WHERE epoch(t)::BIGINT % ${minutes * 60} = 0),
        a AS (SELECT abs(r) AS a, lag(abs(r)) OVER (PARTITION BY sym ORDER BY t) AS a1 FROM x WHERE r IS NOT NULL)
        SELECT stddev(r) AS vol, kurtosis(r) AS kurt, (SELECT corr(a, a1) FROM a) AS clus FROM x`);
      return { vol: Number(r?.['vol']), kurt: Number(r?.['kurt']), clus: Number(r?.['clus']) };
    };
    for (const [market, minutes] of [['p', 1], ['p', 15], ['s', 15]] as const) {
      const d = await stats('d', market, minutes);
      const n = await stats('n', market, minutes);
      const what = `${market} ${minutes}m`;
      expect(d.vol / n.vol, what).toBeGreaterThan(0.97);
      expect(d.vol / n.vol, what).toBeLessThan(1.03);
      // kurtosis of 2,700 fat-tailed 15m returns has a sampling error of tens of percent
      expect(Math.abs(d.kurt / n.kurt - 1), what).toBeLessThan(minutes === 1 ? 0.1 : 0.2);
      expect(Math.abs(d.clus - n.clus), what).toBeLessThan(0.05);
      // fat tails and clustering are there in both
      expect(n.kurt, what).toBeGreaterThan(3);
      expect(n.clus, what).toBeGreaterThan(0.1);
    }
  });
});

describe('synthetic market: planted effects', () => {
  it('H1: the basis mean-reverts with the configured half-life; a random walk under none', async () => {
    // Only H1 switched on, so the basis is the AR(1) plus tick rounding.
    const iso = effectsFrom({
      funding: { gap_pull: 0 }, lead_lag: { weight_calm: 0 }, flow: { impact_sigmas: 0 }, settlement: { effect_bps: 0 },
    });
    const { root } = await gen(iso, 'h1', { bases: ['BTC'] });
    await minuteTable('h1', root);
    const phi = await num(`SELECT regr_slope(b, b1) FROM (SELECT b, lag(b) OVER (ORDER BY t) AS b1 FROM w_h1)`);
    const halfLife = Math.log(0.5) / Math.log(phi);
    expect(halfLife).toBeGreaterThan(20 * 0.8);
    expect(halfLife).toBeLessThan(20 * 1.2);
    // Default vs none: the move expected over the next hour from the basis level (bps).
    const expectedMove = async (tag: string): Promise<number> =>
      num(`SELECT abs(regr_slope(b60 - b, b)) * stddev(b) FROM (SELECT b, lead(b, 60) OVER (PARTITION BY sym ORDER BY t) AS b60 FROM w_${tag})`);
    expect(await expectedMove('d')).toBeGreaterThan(0.3);
    expect(await expectedMove('n')).toBeLessThan(0.1);
  });

  it('H2: the funding-basis gap predicts basis convergence; not under none', async () => {
    // Hourly: the 4h-ahead basis change on the basis level and the published predicted funding,
    // away from settlement windows (H6 displaces the basis there).
    const tstat = async (tag: string, root: string): Promise<number> => {
      await db.exec(`CREATE OR REPLACE TABLE tk_${tag} AS SELECT symbol, event_time, predicted_funding_rate FROM ${SCAN_SQL}`, {
        files: listOf(await datasetFiles(root, DATASETS.derivative_ticker)),
      });
      const rows = await db.all(`SELECT w.b, w.b240 - w.b AS y, k.predicted_funding_rate * 1e4 AS f FROM (
          SELECT sym, t, b, lead(b, 240) OVER (PARTITION BY sym ORDER BY t) AS b240 FROM w_${tag}) w
        JOIN tk_${tag} k ON k.symbol = w.sym AND k.event_time = w.t
        WHERE w.b240 IS NOT NULL AND hour(w.t) % 12 NOT IN (0, 11, 8, 7)`);
      return olsT(rows.map((r) => [Number(r['b']), Number(r['f'])]), rows.map((r) => Number(r['y'])))[2]!;
    };
    expect(await tstat('d', dflt.root)).toBeGreaterThan(3);
    expect(Math.abs(await tstat('n', none.root))).toBeLessThan(3);
  });

  it('H3: perp leads spot by the configured lag in calm, not in stress, not under none', async () => {
    const calm = [1, 2, 3, 4, 5].map((k) => leadCorr('d', k, `regime = 'calm'`));
    const c = await Promise.all(calm);
    expect(c.indexOf(Math.max(...c)) + 1).toBe(DEFAULT_EFFECTS.lead_lag.lag_minutes);
    expect(c[0]).toBeGreaterThan(0.08);
    const stressMinutes = await num(`SELECT count(*) FROM w_d WHERE regime = 'stress'`);
    expect(stressMinutes).toBeGreaterThan(1000);
    expect(Math.abs(await leadCorr('d', 1, `regime = 'stress'`))).toBeLessThan(0.04);
    for (const k of [1, 2, 3]) expect(Math.abs(await leadCorr('n', k))).toBeLessThan(0.03);
    // A configured lag of 3 minutes peaks at 3.
    const lag3 = effectsFrom({ lead_lag: { lag_minutes: 3, weight_calm: 0.3 }, volume_ratio: { elasticity: 0 } });
    const { root } = await gen(lag3, 'lag3', { bases: ['BTC'], days: 7 });
    await minuteTable('l3', root);
    const c3 = await Promise.all([1, 2, 3, 4, 5].map((k) => leadCorr('l3', k, `regime = 'calm'`)));
    expect(c3.indexOf(Math.max(...c3)) + 1).toBe(3);
  });

  it('H5: the lead is stronger when the perp/spot volume ratio is high', async () => {
    const med = await num(`SELECT median(vr) FROM (SELECT avg(ln(pv / sv)) OVER (PARTITION BY sym ORDER BY t ROWS BETWEEN 59 PRECEDING AND CURRENT ROW) AS vr FROM w_d)`);
    const hi = await leadCorr('d', 1, `regime = 'calm' AND vr > ${med}`);
    const lo = await leadCorr('d', 1, `regime = 'calm' AND vr <= ${med}`);
    expect(hi / lo).toBeGreaterThan(1.3);
  });

  it('H6: the perp is displaced against funding into each settlement, and back', async () => {
    const move = async (tag: string, root: string): Promise<{ pre: number; post: number; n: number }> => {
      await db.exec(`CREATE OR REPLACE TABLE fu_${tag} AS SELECT symbol, event_time FROM ${SCAN_SQL}`, {
        files: listOf(await datasetFiles(root, DATASETS.funding)),
      });
      await db.exec(`CREATE OR REPLACE TABLE tk6_${tag} AS SELECT symbol, event_time, predicted_funding_rate FROM ${SCAN_SQL}`, {
        files: listOf(await datasetFiles(root, DATASETS.derivative_ticker)),
      });
      // sign of the predicted funding published an hour before the settlement (known in advance)
      const [r] = await db.all(`SELECT avg(sign(k.predicted_funding_rate) * (s.b - a.b)) AS pre,
          avg(sign(k.predicted_funding_rate) * (z.b - s.b)) AS post, count(*)::INT AS n
        FROM fu_${tag} f JOIN tk6_${tag} k ON k.symbol = f.symbol AND k.event_time = f.event_time - INTERVAL 1 HOUR
        JOIN w_${tag} s ON s.sym = f.symbol AND s.t = f.event_time
        JOIN w_${tag} a ON a.sym = f.symbol AND a.t = f.event_time - INTERVAL 30 MINUTE
        JOIN w_${tag} z ON z.sym = f.symbol AND z.t = f.event_time + INTERVAL 30 MINUTE`);
      return { pre: Number(r?.['pre']), post: Number(r?.['post']), n: Number(r?.['n']) };
    };
    const d = await move('d', dflt.root);
    const delta = DEFAULT_EFFECTS.settlement.effect_bps;
    expect(d.n).toBeGreaterThan(50);
    expect(d.pre).toBeLessThan(-delta * 0.6);
    expect(d.pre).toBeGreaterThan(-delta * 1.4);
    expect(d.post).toBeGreaterThan(delta * 0.6);
    const n = await move('n', none.root);
    expect(Math.abs(n.pre)).toBeLessThan(0.3);
  });

  it('H4: perp-spot flow divergence in trades resolves towards the perp side; not under none', async () => {
    const corrFor = async (effects: Effects, name: string, tag: string): Promise<number> => {
      const { root } = await gen(effects, name, { days: 3, ticks: true });
      await db.exec(`CREATE OR REPLACE TABLE tr_${tag} AS
        SELECT symbol, time_bucket(INTERVAL 1 MINUTE, event_time) + INTERVAL 1 MINUTE AS t,
               sum(CASE side WHEN 'buy' THEN size ELSE -size END) / sum(size) AS imb
        FROM ${SCAN_SQL} GROUP BY ALL`, { files: listOf(await datasetFiles(root, DATASETS.trades)) });
      await minuteTable(tag, root);
      return num(`SELECT corr(pi.imb - si.imb, w.fwd) FROM (
          SELECT sym, t, lead(lp, 5) OVER (PARTITION BY sym ORDER BY t) - lp AS fwd FROM w_${tag}) w
        JOIN tr_${tag} pi ON pi.symbol = w.sym AND pi.t = w.t
        JOIN tr_${tag} si ON si.symbol = replace(w.sym, '-PERP', '-SPOT') AND si.t = w.t`);
    };
    // 3 days x 2 assets = 8,640 minutes: standard error of a correlation about 0.011
    expect(await corrFor(DEFAULT_EFFECTS, 'default', 'td')).toBeGreaterThan(0.035);
    expect(Math.abs(await corrFor(NO_EFFECTS, 'none', 'tn'))).toBeLessThan(0.025);
  });
});

/** OLS of y on [1, x...]: t statistics of each coefficient (intercept first). */
function olsT(x: number[][], y: number[]): number[] {
  const n = y.length;
  const k = (x[0]?.length ?? 0) + 1;
  const X = x.map((r) => [1, ...r]);
  const xtx = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => X.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const xty = Array.from({ length: k }, (_, i) => X.reduce((s, r, t) => s + r[i]! * y[t]!, 0));
  const inv = invert(xtx);
  const beta = inv.map((row) => row.reduce((s, v, j) => s + v * xty[j]!, 0));
  const resid = y.map((v, t) => v - X[t]!.reduce((s, xv, j) => s + xv * beta[j]!, 0));
  const s2 = resid.reduce((s, e) => s + e * e, 0) / (n - k);
  return beta.map((b, i) => b / Math.sqrt(s2 * inv[i]![i]!));
}

function invert(m: number[][]): number[][] {
  const n = m.length;
  const a = m.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const d = a[c]![c]!;
    for (let j = 0; j < 2 * n; j++) a[c]![j] = a[c]![j]! / d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 2 * n; j++) a[r]![j] = a[r]![j]! - f * a[c]![j]!;
    }
  }
  return a.map((r) => r.slice(n));
}

describe('fetch --source synthetic (CLI)', () => {
  it('generates through the real CLI, and refuses bad effects files and long tick spans', async () => {
    const { runCli } = await import('../helpers.js');
    const root = dir();
    const ok = (await runCli(['fetch', '--source', 'synthetic', '--symbols', 'BTC', '--from', '2025-01-01', '--to', '2025-01-02', '--seed', '3', '--data-dir', root, '--json']));
    expect(ok.code, ok.stderr).toBe(0);
    const r = JSON.parse(ok.stdout) as { source: string; writes: Array<{ dataset: string; rows_in: number }>; synthetic: { seed: number; effects: string } };
    expect(r.source).toBe('synthetic');
    expect(r.synthetic).toMatchObject({ seed: 3, effects: 'default' });
    expect(r.writes.find((w) => w.dataset === 'bars')?.rows_in).toBe(1440 * 4);
    const missing = (await runCli(['fetch', '--source', 'synthetic', '--from', '2025-01-01', '--to', '2025-01-02', '--effects', join(root, 'nope.json'), '--data-dir', root]));
    expect(missing.code).toBe(4);
    const ticks = (await runCli(['fetch', '--source', 'synthetic', '--from', '2025-01-01', '--to', '2025-03-01', '--with-ticks', '--data-dir', root]));
    expect(ticks.code).toBe(2);
    expect(ticks.stderr).toMatch(/at most 31 days/);
  });
});
