import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { parseInteger, parseNumber } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { MONITOR_DEFAULTS } from '../domain/defaults.js';
import { monitor, type MonitorResult } from '../services/monitor.js';

const f = (v: number | null, d = 4): string => (v === null || !Number.isFinite(v) ? '' : v.toFixed(d));

export default class Monitor extends PerpkitCommand<MonitorResult> {
  static summary = 'Edge-decay monitor (seed §11.3) and data health of a paper run: exit 0 healthy, 3 warning or critical (for cron).';
  static description = `Rolling IC of the strategy's signal and of every feature of its decision rows against the realised
forward return, rolling Sharpe and hit rate of the signal's direction, against the run's own
history or a --baseline (a paper run: its IC history; a backtest run: its Sharpe and hit rate).
Seed §11.3: critical when the recent IC (mean of the last --recent periods) is below --min-ic;
warning when it is down more than --max-ic-drop from the history, or its trend over the last 30
periods is significantly negative (t < -2). Data health: stale streams (no bar for --stale-bars
bars), missing funding prints, reconnects and sequence gaps. --json prints a document whose
top-level "status" is healthy, warning or critical (perpkit train --retrain --monitor-status FILE
reads it). See docs/paper.md.`;

  static examples = ['<%= config.bin %> monitor --run btc30d', '<%= config.bin %> monitor --run btc30d --baseline btc-replay --json > status.json || alert'];

  static flags = {
    run: Flags.string({ description: 'Paper run id (under <data-dir>/paper/).', required: true }),
    baseline: Flags.string({ description: 'Baseline: a paper run id, or a backtest run id (its metrics).' }),
    window: Flags.string({ description: `Observations (decisions) per period (default ${MONITOR_DEFAULTS.window}).` }),
    horizon: Flags.string({ description: `Forward return horizon, bars (default ${MONITOR_DEFAULTS.horizon}).` }),
    'min-ic': Flags.string({ description: `Minimum viable IC (default ${MONITOR_DEFAULTS.min_ic}, seed §11.3).` }),
    'max-ic-drop': Flags.string({ description: `IC decay threshold, fraction (default ${MONITOR_DEFAULTS.max_ic_drop}).` }),
    'stale-bars': Flags.string({ description: `A stream with no bar for this many bars is stale (default ${MONITOR_DEFAULTS.stale_bars}).` }),
  };

  private unhealthy = false;

  async run(): Promise<void> {
    await super.run();
    if (this.unhealthy) process.exitCode = 3;
  }

  protected async execute(): Promise<MonitorResult> {
    const { flags } = await this.parse(Monitor);
    const root = this.dataDir(flags['data-dir']);
    const window = parseInteger('window', flags.window, { min: 5 });
    const horizon = parseInteger('horizon', flags.horizon, { min: 1 });
    const minIc = parseNumber('min-ic', flags['min-ic'], { min: -1, max: 1 });
    const drop = parseNumber('max-ic-drop', flags['max-ic-drop'], { min: 0, minExclusive: true });
    const stale = parseNumber('stale-bars', flags['stale-bars'], { min: 0, minExclusive: true });
    const r = monitor({
      root,
      run: flags.run,
      ...(flags.baseline !== undefined ? { baseline: flags.baseline } : {}),
      ...(window !== undefined ? { window } : {}),
      ...(horizon !== undefined ? { horizon } : {}),
      ...(minIc !== undefined ? { min_ic: minIc } : {}),
      ...(drop !== undefined ? { max_ic_drop: drop } : {}),
      ...(stale !== undefined ? { stale_bars: stale } : {}),
    });
    this.unhealthy = r.status !== 'healthy';
    return r;
  }

  protected present(r: MonitorResult): void {
    const rows = [
      { check: 'status', value: r.status.toUpperCase() },
      { check: 'signal', value: `${r.signal} (${r.observations} decisions, ${r.periods.length} periods)` },
      { check: 'IC recent / history', value: `${f(r.rules.rolling_ic)} / ${f(r.rules.historical_ic)} (${r.rules.historical_from})` },
      { check: 'IC change', value: r.rules.ic_change_pct === null ? '' : `${(r.rules.ic_change_pct * 100).toFixed(1)}%` },
      { check: 'IC trend', value: r.rules.ic_trend === null ? '' : `${f(r.rules.ic_trend, 5)} per period (t ${f(r.rules.ic_trend_t, 2)})` },
      { check: 'Sharpe recent / baseline', value: `${f(r.performance.rolling_sharpe, 2)} / ${f(r.performance.baseline_sharpe, 2)}` },
      { check: 'hit rate recent / baseline', value: `${f(r.performance.rolling_hit_rate, 3)} / ${f(r.performance.baseline_hit_rate, 3)}` },
      ...Object.entries(r.features).map(([c, v]) => ({ check: `feature ${c} IC`, value: `${f(v.rolling_ic)} / ${f(v.historical_ic)}` })),
      { check: 'data health', value: `${r.data_health.status}; ${r.data_health.reconnects} reconnects, ${r.data_health.sequence_gaps} gaps, ${r.data_health.funding_missing} missing funding` },
      ...r.alerts.map((a) => ({ check: 'ALERT', value: a })),
    ];
    process.stdout.write(formatTable(rows, ['check', 'value']));
  }
}
