/**
 * --compare: two or more backtest runs side by side: one metrics table with a column per run and
 * the equity curves overlaid (each as growth of 1 so different capital compares), then the first
 * run's own sections. The honesty panel is the first run's.
 */
import { backtestHonesty, backtestRunCard, backtestSections, figures, type BacktestData } from './backtest.js';
import { chart, fpct, r6, table } from './common.js';
import { minMaxIndices, roundSig } from './downsample.js';
import type { LedgerSummary } from './ledger.js';
import type { Chart, Report } from './schema.js';
import { REPORT_SCHEMA } from './schema.js';

/** Growth-of-1 curves of several runs on one time grid (the union of their equity times, carried forward). */
export function overlay(runs: BacktestData[]): { x: number[]; series: Array<Array<number | null>> } {
  const times = [...new Set(runs.flatMap((r) => r.equity.time))].sort((a, b) => a - b);
  const series = runs.map((r) => {
    const out: Array<number | null> = [];
    let j = -1;
    for (const t of times) {
      while (j + 1 < r.equity.time.length && r.equity.time[j + 1]! <= t) j++;
      out.push(j < 0 ? null : r.equity.equity[j]! / r.metrics.initial_equity);
    }
    return out;
  });
  return { x: times, series };
}

export function compareReport(first: BacktestData, others: BacktestData[], ledger: LedgerSummary, generatedAt: string, version: string): Report {
  const runs = [first, ...others];
  const figs = runs.map(figures);
  const rows: Array<[string, (d: BacktestData) => string | number | null]> = [
    ['strategy', (d) => d.manifest.strategy.name],
    ['split / segment', (d) => `${d.manifest.split}/${d.manifest.segment}`],
    ['window', (d) => `${d.manifest.window.start.slice(0, 10)} -> ${d.manifest.window.end.slice(0, 10)}`],
    ['total return', (d) => fpct(d.metrics.total_return)],
    ['annual return', (d) => fpct(d.metrics.cagr)],
    ['Sharpe', (d) => r6(d.metrics.sharpe)],
    ['Sortino', (d) => r6(d.metrics.sortino)],
    ['max drawdown', (d) => fpct(d.metrics.max_drawdown)],
    ['hit rate', (d) => fpct(d.metrics.hit_rate)],
    ['fills', (d) => d.metrics.fills],
    ['fees', (d) => r6(d.metrics.costs.fees)],
    ['funding (net)', (d) => r6(d.metrics.costs.funding)],
  ];
  const o = overlay(runs);
  const idx = minMaxIndices(o.x.length, o.series.map((s) => s.map((v) => v ?? Number.NaN)));
  const c: Chart = chart<Chart>({
    id: 'compare-equity',
    title: 'Equity overlaid (growth of 1)',
    kind: 'line',
    data: {
      x_type: 'time',
      x: idx.map((i) => o.x[i]!),
      series: runs.map((r, k) => ({ name: r.run_id, values: idx.map((i) => roundSig(o.series[k]![i] ?? null, 7)) })),
      y_unit: '',
      downsampled_from: o.x.length > idx.length ? o.x.length : null,
    },
  });
  const compareSection = {
    id: 'compare',
    title: `Compare: ${runs.length} runs`,
    blocks: [table('compare-metrics', 'Metrics side by side', ['metric', ...runs.map((r) => r.run_id)], rows.map(([label, f]) => [label, ...runs.map(f)])), c],
  };
  return {
    schema: REPORT_SCHEMA,
    kind: 'compare',
    title: `Compare ${runs.map((r) => r.run_id).join(' vs ')}`,
    generated_at: generatedAt,
    perpkit_version: version,
    run_card: { ...backtestRunCard(first, ledger), kind: 'compare' },
    compared: others.map((d) => backtestRunCard(d, ledger)),
    honesty: backtestHonesty(first, figs[0]!, ledger),
    metrics: Object.fromEntries(runs.map((r) => [r.run_id, r.metrics])),
    sections: [compareSection, ...backtestSections(first, figs[0]!)],
  };
}
