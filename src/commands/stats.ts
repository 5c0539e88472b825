import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { usageError } from '../domain/errors.js';
import { parseInteger, parseNumber } from '../cli/parse.js';
import { STATS_DEFAULTS, statsService, type DsrSection, type StatsOptions, type StatsResult } from '../services/stats.js';

/** Largest CSCV block count: C(24, 12) = 2.7 million combinations, seconds; beyond it runs for hours. */
const MAX_BLOCKS = 24;

function need<T>(flag: string, value: T | undefined, mode: string): T {
  if (value === undefined) throw usageError(`${mode} needs --${flag}`, { hint: 'see "perpkit stats --help"', details: { flag } });
  return value;
}

export default class Stats extends PerpkitCommand<StatsResult> {
  static summary = 'Performance statistics, probabilistic/deflated Sharpe ratios and PBO of your own returns files.';

  static description = `Three modes:
  --returns FILE   metrics of a column of per-period simple returns (CSV or Parquet): total return, CAGR,
                   volatility, Sharpe (mean/std, ddof 1, x sqrt(periods per year)), Sortino, Calmar,
                   drawdowns, hit rate, profit factor, VaR/CVaR 95 %, skewness, kurtosis (raw), PSR and
                   MinTRL; turnover, trades and exposure with --position-column; DSR with --dsr.
  --pbo FILE       probability of backtest overfitting by CSCV (Bailey et al.) of a T x N table: one row
                   per period, one numeric column of returns per strategy configuration.
  --dsr            deflated Sharpe ratio (Bailey and Lopez de Prado 2014) from summary numbers:
                   annualised --sharpe, --periods-per-year, --observations, --trials,
                   --trials-sharpe-variance (of the trials' annualised Sharpe), --skew, --kurtosis (raw).
Periods per year follow a 24/7, 365-day calendar: inferred from the median gap of the time column
(8760 for hourly bars), or given with --periods-per-year.`;

  static examples = [
    '<%= config.bin %> stats --returns strategy.csv',
    '<%= config.bin %> stats --returns strategy.parquet --column pnl --position-column position --json',
    '<%= config.bin %> stats --returns strategy.csv --dsr --trials 100 --trials-sharpe-variance 0.5',
    '<%= config.bin %> stats --pbo trials.csv --blocks 16',
    '<%= config.bin %> stats --dsr --sharpe 2.5 --periods-per-year 250 --observations 1250 --trials 100 --trials-sharpe-variance 0.5 --skew -3 --kurtosis 10',
  ];

  static flags = {
    returns: Flags.string({ description: 'CSV or Parquet file with a column of per-period simple returns (fractions).', exclusive: ['pbo'] }),
    pbo: Flags.string({ description: 'CSV or Parquet T x N file: one row per period, one numeric returns column per strategy.', exclusive: ['returns', 'dsr'] }),
    dsr: Flags.boolean({ description: 'Deflated Sharpe ratio: from --returns, or from --sharpe/--observations/... .', default: false }),
    column: Flags.string({ description: `Returns column of --returns. Default: ${STATS_DEFAULTS.column}.` }),
    'time-column': Flags.string({
      description: `Time column (orders rows, gives the bar length). Default: the first of ${STATS_DEFAULTS.timeColumns.join(', ')}.`,
    }),
    'position-column': Flags.string({ description: 'Position column of --returns (signed fraction of capital held over each period).' }),
    'periods-per-year': Flags.string({ description: 'Periods per year (8760 hourly, 525600 per minute, 365 daily); overrides the time column.' }),
    'risk-free': Flags.string({ description: 'Annual risk-free rate for the Sharpe ratio, fraction. Default: 0.' }),
    blocks: Flags.string({ description: `CSCV blocks S for --pbo (even, 2 .. ${MAX_BLOCKS}). Default: ${STATS_DEFAULTS.blocks}.` }),
    sharpe: Flags.string({ description: 'Annualised Sharpe ratio of the selected strategy (--dsr without --returns).' }),
    observations: Flags.string({ description: 'Number of returns T behind --sharpe (an integer >= 2).' }),
    skew: Flags.string({ description: 'Skewness of the returns behind --sharpe. Default: 0.' }),
    kurtosis: Flags.string({ description: 'RAW kurtosis (3 = normal, not excess) of the returns behind --sharpe. Default: 3.' }),
    trials: Flags.string({ description: 'Number of trials N the strategy was selected from (--dsr; an integer >= 1).' }),
    'trials-sharpe-variance': Flags.string({ description: "Variance of the trials' annualised Sharpe ratios (--dsr)." }),
    confidence: Flags.string({ description: `Confidence of the minimum track record length. Default: ${STATS_DEFAULTS.confidence}.` }),
  };

  protected async execute(): Promise<StatsResult> {
    const { flags } = await this.parse(Stats);
    // Every number is parsed and range-checked here, before any file is read.
    const ppy = parseNumber('periods-per-year', flags['periods-per-year'], { min: 0, minExclusive: true, max: 1e9 });
    const confidence = parseNumber('confidence', flags.confidence, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    const riskFree = parseNumber('risk-free', flags['risk-free'], { min: -1, max: 1 });
    const blocks = parseInteger('blocks', flags.blocks, { min: 2, max: MAX_BLOCKS });
    if (blocks !== undefined && blocks % 2 !== 0) throw usageError(`--blocks must be an even integer in [2, ${MAX_BLOCKS}], got "${flags.blocks}"`, { details: { flag: 'blocks', value: flags.blocks } });
    const trials = parseInteger('trials', flags.trials, { min: 1 });
    const observations = parseInteger('observations', flags.observations, { min: 2 });
    const variance = parseNumber('trials-sharpe-variance', flags['trials-sharpe-variance'], { min: 0 });
    const sharpe = parseNumber('sharpe', flags.sharpe);
    const skew = parseNumber('skew', flags.skew);
    const kurtosis = parseNumber('kurtosis', flags.kurtosis, { min: 1 });
    const given = (f: string): boolean => (flags as Record<string, unknown>)[f] !== undefined && (flags as Record<string, unknown>)[f] !== false;
    const onlyWith = (mode: string, ok: boolean, names: string[]): void => {
      const extra = names.filter(given);
      if (!ok && extra.length) throw usageError(`--${extra[0]} only applies with ${mode}`, { hint: 'see "perpkit stats --help"', details: { flag: extra[0] } });
    };
    onlyWith('--pbo', flags.pbo !== undefined, ['blocks']);
    onlyWith('--returns', flags.returns !== undefined, ['column', 'position-column', 'risk-free']);
    onlyWith('--dsr without --returns', flags.dsr && flags.returns === undefined, ['sharpe', 'observations', 'skew', 'kurtosis']);
    if (flags.pbo !== undefined) onlyWith('--returns or --dsr', false, ['trials', 'trials-sharpe-variance', 'periods-per-year', 'confidence']);
    let options: StatsOptions;
    if (flags.pbo !== undefined) {
      options = { kind: 'pbo', file: flags.pbo, blocks: blocks ?? STATS_DEFAULTS.blocks, timeColumn: flags['time-column'] };
    } else if (flags.returns !== undefined) {
      if (flags.dsr || trials !== undefined || variance !== undefined) {
        need('trials', trials, '--dsr');
        need('trials-sharpe-variance', variance, '--dsr');
      }
      options = {
        kind: 'returns',
        file: flags.returns,
        column: flags.column,
        timeColumn: flags['time-column'],
        positionColumn: flags['position-column'],
        periodsPerYear: ppy,
        riskFreeAnnual: riskFree,
        confidence,
        dsr: trials !== undefined && variance !== undefined ? { trials, trialsSharpeVariance: variance } : undefined,
      };
    } else if (flags.dsr) {
      const mode = '--dsr without --returns';
      options = {
        kind: 'dsr',
        sharpe: need('sharpe', sharpe, mode),
        periodsPerYear: need('periods-per-year', ppy, mode),
        observations: need('observations', observations, mode),
        skewness: skew,
        kurtosis,
        trials: need('trials', trials, mode),
        trialsSharpeVariance: need('trials-sharpe-variance', variance, mode),
        confidence,
      };
    } else {
      throw usageError('perpkit stats needs --returns FILE, --pbo FILE or --dsr', {
        hint: 'e.g. "perpkit stats --returns strategy.csv"; see "perpkit stats --help"',
      });
    }
    const ctx = await this.context();
    return statsService(options, ctx);
  }

  protected present(r: StatsResult): void {
    const rows: Row[] = [];
    if (r.kind === 'returns') {
      const m = r.metrics;
      const n = m.notes;
      rows.push(
        ['file', r.file],
        ['column', r.column],
        ['observations', m.observations],
        ['rows dropped', r.rows_dropped],
        ['periods per year', m.periods_per_year, r.periods_per_year_source],
        ['total return', m.total_return],
        ['CAGR', m.cagr, n['cagr']],
        ['annual volatility', m.annual_volatility, n['annual_volatility']],
        ['Sharpe (annualised)', m.sharpe, n['sharpe'] ?? (m.risk_free_annual !== 0 ? `risk-free ${m.risk_free_annual} a year` : undefined)],
        ['Sortino (annualised)', m.sortino, n['sortino']],
        ['Calmar', m.calmar, n['calmar']],
        ['max drawdown', m.max_drawdown],
        ['max drawdown duration (periods)', m.max_drawdown_duration],
        ['average drawdown', m.average_drawdown],
        ['hit rate', m.hit_rate, n['hit_rate'] ?? 'zero returns excluded'],
        ['profit factor', m.profit_factor, n['profit_factor']],
        ['win/loss ratio', m.win_loss_ratio, n['win_loss_ratio']],
        [`VaR ${m.var_level * 100}% (per period)`, m.var, n['var']],
        [`CVaR ${m.var_level * 100}% (per period)`, m.cvar, n['cvar']],
        ['skewness', m.skewness, n['skewness']],
        ['kurtosis (raw)', m.kurtosis, n['kurtosis']],
        ['excess kurtosis', m.excess_kurtosis, n['excess_kurtosis']],
        ['turnover (x capital a year)', m.turnover, n['turnover']],
        ['trades', m.trades, n['trades']],
        ['exposure', m.exposure, n['exposure']],
        ['PSR (Sharpe > 0)', r.psr, n['psr']],
        [`MinTRL at ${r.confidence} (periods)`, r.min_track_record_length, n['min_track_record_length']],
      );
      if (r.dsr) rows.push(...dsrRows(r.dsr, false));
    } else if (r.kind === 'pbo') {
      rows.push(
        ['file', r.file],
        ['strategies', r.strategies],
        ['rows used', r.rows_used, r.rows_dropped_for_blocks > 0 ? `oldest ${r.rows_dropped_for_blocks} dropped so ${r.blocks} blocks divide the rows` : undefined],
        ['rows dropped (missing values)', r.rows_dropped_missing],
        ['blocks', r.blocks, `${r.block_size} rows each`],
        ['combinations', r.combinations],
        ['PBO', r.pbo, 'share of combinations whose in-sample best ranks at or below the out-of-sample median'],
        ['mean logit', r.logit_mean],
        ['probability of OOS loss', r.prob_oos_loss],
        ['degradation slope', r.degradation.slope, 'OOS on IS Sharpe of the selected strategy'],
        ['degradation R^2', r.degradation.r_squared],
        ...r.most_selected.map((s, i): Row => [i === 0 ? 'most selected in sample' : '', s.column, `${(s.share * 100).toFixed(1)}% of combinations`]),
      );
    } else {
      rows.push(...dsrRows(r, true));
    }
    process.stdout.write(formatTable(rows));
  }
}

type Row = [label: string, value: number | string | null, note?: string];

function dsrRows(d: DsrSection, withInputs: boolean): Row[] {
  const rows: Row[] = [];
  if (withInputs) {
    rows.push(
      ['Sharpe (annualised)', d.sharpe],
      ['periods per year', d.periods_per_year],
      ['observations', d.observations],
      ['skewness', d.skewness],
      ['kurtosis (raw)', d.kurtosis],
    );
  }
  rows.push(
    ['trials', d.trials],
    ['variance of trial Sharpe (annualised)', d.trials_sharpe_variance],
    ['expected max Sharpe (annualised)', d.expected_max_sharpe, 'SR* of the trials'],
    ['DSR', d.dsr, d.notes['dsr'] ?? 'probability that the true Sharpe exceeds SR*'],
  );
  if (withInputs) rows.push(['PSR (Sharpe > 0)', d.psr, d.notes['psr']]);
  rows.push([`MinTRL vs SR* at ${d.confidence} (periods)`, d.min_track_record_length, d.notes['min_track_record_length']]);
  return rows;
}

function formatValue(v: number | string | null): string {
  if (v === null) return 'n/a';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** Aligned three-column table: label, value (right-aligned), note. */
function formatTable(rows: Row[]): string {
  const labels = rows.map((r) => r[0]);
  const values = rows.map((r) => formatValue(r[1]));
  const lw = Math.max(...labels.map((l) => l.length));
  const vw = Math.max(...values.map((v) => (v.length > 24 ? 0 : v.length)));
  return (
    rows
      .map((r, i) => {
        const v = values[i]!;
        const cell = v.length > 24 ? v : v.padStart(vw);
        return `${labels[i]!.padEnd(lw)}  ${cell}${r[2] ? `  ${r[2]}` : ''}`.trimEnd();
      })
      .join('\n') + '\n'
  );
}
