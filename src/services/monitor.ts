import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MONITOR_DEFAULTS } from '../domain/defaults.js';
import { missingError, usageError } from '../domain/errors.js';
import { isoFromMicros } from '../domain/time.js';
import { spearman } from '../stats/descriptive.js';
import { periodsPerYearFromBarSeconds, sharpeRatio } from '../stats/returns.js';
import { paperDir, readJsonIf, readSpec, type PaperSpec, type PaperStatus } from './paper/files.js';
import { readJournal, type JournalEntry } from './paper/session.js';

/**
 * `perpkit monitor`: edge decay (seed §11.3) and data health of a paper run, for cron.
 *
 * Observations are the run's decision rows (journal.jsonl): the signal (the strategy's column;
 * for strategies without one, its first column) and the key features (every column of the rows)
 * against the realised forward log return over `horizon` bars from the decision's bar close (from
 * the run's own bars; NaN when the bar is missing). Observations of all symbols in time order are
 * cut into periods of `window`; each period has a Spearman IC per column, a Sharpe (annualised)
 * and hit rate of the signal's direction x the realised return. Seed §11.3 rules on the signal's
 * IC series: recent IC = mean of the last `recent` periods, historical IC = mean of all periods (or
 * the baseline's); critical when recent < min_ic; warning when the change (recent - historical) /
 * |historical| < -max_ic_drop; warning when the slope of the last `trend` periods is negative with
 * a t-statistic below -2 (a significant downward trend; the seed fits the slope over 30). Data
 * health: a stream whose last bar is more than stale_bars bars old at the status time is stale
 * (warning), missing funding prints while a position was open (warning), reconnects and sequence
 * gaps reported.
 */

export interface MonitorOptions {
  root: string;
  run: string;
  baseline?: string;
  window?: number;
  horizon?: number;
  min_ic?: number;
  max_ic_drop?: number;
  recent?: number;
  trend?: number;
  stale_bars?: number;
}

export type Health = 'healthy' | 'warning' | 'critical';

export interface PeriodRow {
  start: string;
  end: string;
  n: number;
  ic: Record<string, number | null>;
  sharpe: number | null;
  hit_rate: number | null;
}

export interface IcRules {
  current_ic: number | null;
  rolling_ic: number | null;
  historical_ic: number | null;
  historical_from: 'run' | 'baseline';
  ic_change_pct: number | null;
  ic_trend: number | null;
  ic_trend_t: number | null;
}

export interface MonitorResult {
  status: Health;
  run: string;
  baseline: string | null;
  signal: string;
  alerts: string[];
  rules: IcRules;
  features: Record<string, { rolling_ic: number | null; historical_ic: number | null }>;
  performance: { rolling_sharpe: number | null; rolling_hit_rate: number | null; baseline_sharpe: number | null; baseline_hit_rate: number | null };
  data_health: {
    status: Health;
    streams: Array<{ symbol: string; last_bar: string | null; age_bars: number | null; stale: boolean; missing_bars: number }>;
    funding_missing: number;
    reconnects: number;
    sequence_gaps: number;
  };
  periods: PeriodRow[];
  observations: number;
  settings: Required<Omit<MonitorOptions, 'root' | 'run' | 'baseline'>>;
}

interface Obs {
  t: number;
  s: number;
  v: number[];
  ret: number;
}

function observations(spec: PaperSpec, entries: JournalEntry[], horizon: number): Obs[] {
  const closes = spec.symbols.map(() => new Map<number, number>());
  for (const e of entries) if (e.k === 'bar') closes[e.s]!.set(Math.round(e.ct / spec.tf_us), e.c);
  const barOfDecision = new Map<string, number>();
  for (const e of entries) if (e.k === 'bar') barOfDecision.set(`${e.s}/${e.t}`, Math.round(e.ct / spec.tf_us));
  const out: Obs[] = [];
  for (const e of entries) {
    if (e.k !== 'dec') continue;
    const slot = barOfDecision.get(`${e.s}/${e.t}`);
    if (slot === undefined) continue;
    const c0 = closes[e.s]!.get(slot);
    const c1 = closes[e.s]!.get(slot + horizon);
    out.push({ t: e.t, s: e.s, v: e.v.map((x) => (typeof x === 'number' ? x : Number.NaN)), ret: c0 !== undefined && c1 !== undefined ? Math.log(c1 / c0) : Number.NaN });
  }
  return out.sort((a, b) => a.t - b.t || a.s - b.s);
}

function icOf(x: number[], y: number[]): number | null {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      xs.push(x[i]!);
      ys.push(y[i]!);
    }
  }
  if (xs.length < 5) return null;
  const r = spearman(Float64Array.from(xs), Float64Array.from(ys));
  return Number.isFinite(r) ? r : null;
}

const meanOf = (x: number[]): number | null => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : null);

/** OLS slope of y on 0..n-1 and its t-statistic (null below 3 points or with no residual). */
export function slope(y: number[]): { b: number; t: number } | null {
  const n = y.length;
  if (n < 3) return null;
  const mx = (n - 1) / 2;
  const my = meanOf(y)!;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (i - mx) ** 2;
    sxy += (i - mx) * (y[i]! - my);
  }
  const b = sxy / sxx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - my - b * (i - mx)) ** 2;
  const se = Math.sqrt(sse / (n - 2) / sxx);
  return { b, t: se > 0 ? b / se : b === 0 ? 0 : Math.sign(b) * Infinity };
}

function analyse(spec: PaperSpec, entries: JournalEntry[], o: Required<Omit<MonitorOptions, 'root' | 'run' | 'baseline'>>, signalCol: number): { periods: PeriodRow[]; ics: Array<Array<number | null>>; obs: Obs[]; pnl: number[] } {
  const obs = observations(spec, entries, o.horizon);
  const periods: PeriodRow[] = [];
  const ics: Array<Array<number | null>> = spec.columns.map(() => []);
  const pnl: number[] = [];
  for (const x of obs) if (Number.isFinite(x.ret) && Number.isFinite(x.v[signalCol]!) && x.v[signalCol] !== 0) pnl.push(Math.sign(x.v[signalCol]!) * x.ret);
  const ppy = periodsPerYearFromBarSeconds(spec.tf_us / 1e6);
  for (let i = 0; i + o.window <= obs.length; i += o.window) {
    const chunk = obs.slice(i, i + o.window);
    const ret = chunk.map((x) => x.ret);
    const ic: Record<string, number | null> = {};
    spec.columns.forEach((c, k) => {
      ic[c] = icOf(chunk.map((x) => x.v[k]!), ret);
      ics[k]!.push(ic[c]!);
    });
    const p = chunk.filter((x) => Number.isFinite(x.ret) && Number.isFinite(x.v[signalCol]!) && x.v[signalCol] !== 0).map((x) => Math.sign(x.v[signalCol]!) * x.ret);
    periods.push({
      start: isoFromMicros(chunk[0]!.t),
      end: isoFromMicros(chunk[chunk.length - 1]!.t),
      n: chunk.length,
      ic,
      sharpe: p.length > 2 ? sharpeRatio(Float64Array.from(p), ppy) : null,
      hit_rate: p.length ? p.filter((r) => r > 0).length / p.length : null,
    });
  }
  return { periods, ics, obs, pnl };
}

function loadRun(root: string, id: string): { spec: PaperSpec; entries: JournalEntry[]; status: PaperStatus | null } {
  const spec = readSpec(root, id);
  const dir = paperDir(root, id);
  const journal = join(dir, 'journal.jsonl');
  if (!existsSync(journal)) throw missingError(`paper run ${id} has no journal yet`, { hint: 'the journal starts with the first closed bar' });
  return { spec, entries: readJournal(journal).entries, status: readJsonIf<PaperStatus>(join(dir, 'status.json')) };
}

export function monitor(opts: MonitorOptions): MonitorResult {
  const o = {
    window: opts.window ?? MONITOR_DEFAULTS.window,
    horizon: opts.horizon ?? MONITOR_DEFAULTS.horizon,
    min_ic: opts.min_ic ?? MONITOR_DEFAULTS.min_ic,
    max_ic_drop: opts.max_ic_drop ?? MONITOR_DEFAULTS.max_ic_drop,
    recent: opts.recent ?? MONITOR_DEFAULTS.recent,
    trend: opts.trend ?? MONITOR_DEFAULTS.trend,
    stale_bars: opts.stale_bars ?? MONITOR_DEFAULTS.stale_bars,
  };
  if (!(o.window >= 5)) throw usageError('--window must be at least 5 observations');
  const run = loadRun(opts.root, opts.run);
  const spec = run.spec;
  if (spec.columns.length === 0) throw usageError(`paper run ${opts.run}: its strategy reads no columns, so there is no signal to monitor`);
  const named = spec.strategy.params['column'];
  const signalCol = typeof named === 'string' && spec.columns.includes(named) ? spec.columns.indexOf(named) : 0;
  const signal = spec.columns[signalCol]!;
  const a = analyse(spec, run.entries, o, signalCol);
  const alerts: string[] = [];
  const sigIcs = a.ics[signalCol]!.filter((x): x is number => x !== null);

  // ---- baseline: another paper run (its IC history and signal P&L), or a backtest run (its metrics) ----
  let baseIc: number | null = null;
  let baseSharpe: number | null = null;
  let baseHit: number | null = null;
  if (opts.baseline !== undefined) {
    const bt = join(opts.root, 'runs', opts.baseline, 'metrics.json');
    if (existsSync(join(paperDir(opts.root, opts.baseline), 'paper.json'))) {
      const b = loadRun(opts.root, opts.baseline);
      const bc = b.spec.columns.indexOf(signal);
      if (bc < 0) throw usageError(`baseline ${opts.baseline} has no column ${signal}`, { hint: 'give a baseline run of the same strategy' });
      const ba = analyse(b.spec, b.entries, o, bc);
      baseIc = meanOf(ba.ics[bc]!.filter((x): x is number => x !== null));
      const ppy = periodsPerYearFromBarSeconds(b.spec.tf_us / 1e6);
      baseSharpe = ba.pnl.length > 2 ? sharpeRatio(Float64Array.from(ba.pnl), ppy) : null;
      baseHit = ba.pnl.length ? ba.pnl.filter((r) => r > 0).length / ba.pnl.length : null;
    } else if (existsSync(bt)) {
      const m = (JSON.parse(readFileSync(bt, 'utf8')) as { metrics: { sharpe: number | null; hit_rate: number | null } }).metrics;
      baseSharpe = m.sharpe;
      baseHit = m.hit_rate;
    } else throw missingError(`no baseline run ${opts.baseline} (neither ${join('paper', opts.baseline)} nor ${join('runs', opts.baseline)})`, { hint: 'give a paper run id or a backtest run id of this data dir' });
  }

  // ---- seed §11.3 ----
  const recentIcs = sigIcs.slice(-o.recent);
  const rolling = meanOf(recentIcs);
  const historical = baseIc ?? meanOf(sigIcs);
  const change = rolling !== null && historical !== null && historical !== 0 ? (rolling - historical) / Math.abs(historical) : null;
  const tr = slope(sigIcs.slice(-o.trend));
  let status: Health = 'healthy';
  const raise = (h: Health): void => {
    if (h === 'critical' || (h === 'warning' && status === 'healthy')) status = h;
  };
  if (sigIcs.length === 0) {
    raise('warning');
    alerts.push(`not enough observations for an IC yet (${a.obs.length} decisions; a period is ${o.window})`);
  } else {
    if (rolling! < o.min_ic) {
      raise('critical');
      alerts.push(`IC below minimum: ${rolling!.toFixed(4)} < ${o.min_ic} (mean of the last ${recentIcs.length} periods)`);
    } else if (change !== null && change < -o.max_ic_drop) {
      raise('warning');
      alerts.push(`IC decay: ${(change * 100).toFixed(1)}% vs the ${baseIc !== null ? 'baseline' : "run's history"} (${historical!.toFixed(4)})`);
    }
    if (tr && tr.t < -2) {
      raise('warning');
      alerts.push(`negative IC trend: slope ${tr.b.toFixed(5)} per period over the last ${Math.min(o.trend, sigIcs.length)} periods (t ${tr.t.toFixed(2)})`);
    }
  }
  const recentPnl = a.pnl.slice(-o.window * o.recent);
  const ppy = periodsPerYearFromBarSeconds(spec.tf_us / 1e6);
  const rollSharpe = recentPnl.length > 2 ? sharpeRatio(Float64Array.from(recentPnl), ppy) : null;
  const rollHit = recentPnl.length ? recentPnl.filter((r) => r > 0).length / recentPnl.length : null;
  if (baseSharpe !== null && baseSharpe > 0 && rollSharpe !== null && rollSharpe < 0) {
    raise('warning');
    alerts.push(`rolling Sharpe ${rollSharpe.toFixed(2)} is negative; the baseline expected ${baseSharpe.toFixed(2)}`);
  }

  // ---- data health ----
  const now = run.status?.now ?? (run.entries.length ? run.entries[run.entries.length - 1]!.t : spec.start);
  const streams = spec.symbols.map((symbol, s) => {
    const bars = run.entries.filter((e): e is Extract<JournalEntry, { k: 'bar' }> => e.k === 'bar' && e.s === s);
    const last = bars.length ? bars[bars.length - 1]!.ct : null;
    const age = last === null ? null : (now - last) / spec.tf_us;
    let missing = 0;
    for (let i = 1; i < bars.length; i++) missing += Math.max(0, Math.round((bars[i]!.ot - bars[i - 1]!.ot) / spec.tf_us) - 1);
    return { symbol, last_bar: last === null ? null : isoFromMicros(last), age_bars: age === null ? null : Number(age.toFixed(2)), stale: age === null || age > o.stale_bars, missing_bars: missing };
  });
  let dh: Health = 'healthy';
  for (const st of streams) {
    if (st.stale) {
      dh = 'warning';
      alerts.push(`stale stream: ${st.symbol} ${st.last_bar === null ? 'has no bar' : `last bar ${st.last_bar}, ${st.age_bars} bars before ${isoFromMicros(now)}`}`);
    }
  }
  const fundingMissing = run.status?.counters.funding_missing ?? 0;
  if (fundingMissing > 0) {
    dh = 'warning';
    alerts.push(`${fundingMissing} funding print(s) missing while a position was open`);
  }
  if (dh !== 'healthy') raise(dh);
  const features: MonitorResult['features'] = {};
  spec.columns.forEach((c, k) => {
    const list = a.ics[k]!.filter((x): x is number => x !== null);
    features[c] = { rolling_ic: meanOf(list.slice(-o.recent)), historical_ic: meanOf(list) };
  });
  return {
    status,
    run: opts.run,
    baseline: opts.baseline ?? null,
    signal,
    alerts,
    rules: {
      current_ic: sigIcs.length ? sigIcs[sigIcs.length - 1]! : null,
      rolling_ic: rolling,
      historical_ic: historical,
      historical_from: baseIc !== null ? 'baseline' : 'run',
      ic_change_pct: change,
      ic_trend: tr ? tr.b : null,
      ic_trend_t: tr ? tr.t : null,
    },
    features,
    performance: { rolling_sharpe: rollSharpe, rolling_hit_rate: rollHit, baseline_sharpe: baseSharpe, baseline_hit_rate: baseHit },
    data_health: { status: dh, streams, funding_missing: fundingMissing, reconnects: run.status?.counters.reconnects ?? 0, sequence_gaps: run.status?.counters.gaps ?? 0 },
    periods: a.periods,
    observations: a.obs.length,
    settings: o,
  };
}
