import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { formatTable } from '../cli/table.js';
import { FUNDING_MISSING } from '../domain/backtest.js';
import { usageError } from '../domain/errors.js';
import { readConfigFile, rerunBacktest, runBacktest, type BacktestResult } from '../services/backtest.js';

const num = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(digits));
const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : `${(v * 100).toFixed(2)}%`);

export default class Backtest extends PerpkitCommand<BacktestResult> {
  static summary = 'Event-driven backtest with latency, fee tiers, slippage, funding cash flows, margin and liquidation, and the risk controls of seed §9.';
  static description = `Runs a strategy over the decision rows (features) of a split segment, with market data from the
store: execution on the finest traded-price bars covering the segment, liquidation on mark bars,
funding from the funding dataset, fees from the instruments (or the venue's tier schedule).
Writes orders, fills, positions, equity, funding_payments, events (Parquet), manifest.json and
metrics.json under <data-dir>/runs/<run-id>/, appends a trial to the ledger, and prints the metrics.

--strategy is a built-in (regime: seed §6.1B; signal: trade one column, needs strategy.column in
--config) or a module path (./my.mjs; see docs/backtest.md for the interface). --config is a
YAML/JSON file with the engine settings (docs/backtest.md lists each with its default) and a
"strategy:" section with the strategy's parameters. --rerun RUN_ID re-runs a manifest and checks
that every output is bit-identical.`;

  static examples = [
    '<%= config.bin %> backtest --strategy regime --split demo --segment validation',
    '<%= config.bin %> backtest --strategy signal --split demo --config signal.yaml --fee-tier VIP3 --json',
    '<%= config.bin %> backtest --strategy ./my-strategy.mjs --split wf --segment fold-2-test',
    '<%= config.bin %> backtest --rerun 20260101T000000Z-1a2b3c4d',
  ];

  static flags = {
    strategy: Flags.string({ description: 'Built-in strategy (regime, signal) or a module path.', default: 'regime' }),
    split: Flags.string({ description: 'Split whose segment is backtested (perpkit split --name ...).' }),
    segment: Flags.string({ description: 'train, validation, test, fold-N-train or fold-N-test.', default: 'validation' }),
    config: Flags.string({ description: 'YAML/JSON config: engine settings and a strategy: section.' }),
    'fee-tier': Flags.string({ description: 'Fee tier name or index (e.g. 0, 8, VIP3), or auto: the tier follows the trailing 30-day traded notional of the run, fill by fill; overrides fees.tier.' }),
    seed: Flags.integer({ description: 'Seed of the run (slippage noise, ctx.random); overrides seed.', min: 0 }),
    'funding-missing': Flags.string({ description: 'A missing funding print while a position is open: error (exit 3), zero or last.', options: [...FUNDING_MISSING] }),
    execution: Flags.string({
      description: 'What orders execute on: trades (the trades dataset; error when a symbol has none), bars, or auto (trades where stored, else bars); overrides execution.source.',
      options: ['auto', 'trades', 'bars'],
    }),
    'unseal-test': Flags.boolean({ description: 'Allow the sealed test segment (recorded in the ledger).', default: false }),
    rerun: Flags.string({ description: 'Re-run the manifest of this run id and check the outputs are bit-identical.' }),
    column: Flags.string({ description: 'signal strategy: the column to trade (sets strategy.column), e.g. prediction.' }),
    'signal-dataset': Flags.string({ description: 'Extra decision columns: predictions joins the predictions dataset of --model-id (columns prediction, baseline_prediction).', options: ['features', 'predictions'], default: 'features' }),
    'model-id': Flags.string({ description: 'With --signal-dataset predictions: the model whose predictions are joined (perpkit models list).' }),
  };

  protected async execute(): Promise<BacktestResult> {
    const { flags } = await this.parse(Backtest);
    const root = this.dataDir(flags['data-dir']);
    const ctx = await this.context();
    if (flags.rerun) return rerunBacktest({ root, run_id: flags.rerun }, ctx);
    if (!flags.split) throw usageError('--split is required', { hint: 'create one with "perpkit split --name NAME" and pass --split NAME (or --rerun RUN_ID)' });
    const doc: Record<string, unknown> = flags.config ? readConfigFile(flags.config) : {};
    const sub = (k: string): Record<string, unknown> => {
      const v = doc[k];
      const o = v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
      doc[k] = o;
      return o;
    };
    if (flags['fee-tier'] !== undefined) sub('fees')['tier'] = flags['fee-tier'];
    if (flags['funding-missing'] !== undefined) sub('funding')['missing'] = flags['funding-missing'];
    if (flags.seed !== undefined) doc['seed'] = flags.seed;
    if (flags.execution !== undefined) sub('execution')['source'] = flags.execution;
    if (flags.column !== undefined) sub('strategy')['column'] = flags.column;
    if (flags['signal-dataset'] === 'predictions' && !flags['model-id']) throw usageError('--signal-dataset predictions needs --model-id', { hint: 'pick a model from "perpkit models list"' });
    if (flags['model-id'] !== undefined && flags['signal-dataset'] !== 'predictions') throw usageError('--model-id needs --signal-dataset predictions');
    return runBacktest(
      {
        root,
        strategy: flags.strategy,
        split: flags.split,
        segment: flags.segment,
        config: doc,
        ...(flags.config ? { config_path: flags.config } : {}),
        unseal_test: flags['unseal-test'],
        ...(flags['model-id'] ? { predictions_model: flags['model-id'] } : {}),
      },
      ctx,
    );
  }

  protected present(r: BacktestResult): void {
    const m = r.metrics;
    const c = m.costs;
    const rows = [
      { metric: 'run', value: r.run_id },
      { metric: 'strategy', value: `${r.manifest.strategy.name} on ${r.manifest.split}/${r.manifest.segment} (${r.manifest.window.start} -> ${r.manifest.window.end})` },
      { metric: 'execution', value: `${r.manifest.venue} ${r.manifest.symbols.join(',')} on ${r.manifest.execution_timeframe} bars, mark ${r.manifest.mark_timeframe ?? 'none'}` },
      { metric: 'equity', value: `${num(m.initial_equity, 2)} -> ${num(m.final_equity, 2)} (P&L ${num(m.pnl, 2)})` },
      { metric: 'total return', value: pct(m.total_return) },
      { metric: 'annual return (CAGR, 365 d)', value: pct(m.cagr) },
      { metric: 'annual volatility', value: pct(m.annual_volatility) },
      { metric: 'Sharpe (24/7)', value: num(m.sharpe, 3) },
      { metric: 'Sortino', value: num(m.sortino, 3) },
      { metric: 'Calmar', value: num(m.calmar, 3) },
      { metric: 'max drawdown', value: `${pct(m.max_drawdown)} over ${m.max_drawdown_duration} periods` },
      { metric: 'hit rate', value: pct(m.hit_rate) },
      { metric: 'profit factor', value: num(m.profit_factor, 3) },
      { metric: 'turnover (x capital / year)', value: num(m.turnover, 2) },
      { metric: 'exposure (share of periods)', value: pct(m.exposure) },
      { metric: 'avg holding', value: m.avg_holding_hours === null ? '' : `${m.avg_holding_hours.toFixed(1)} h` },
      { metric: 'fills', value: String(m.fills) },
      { metric: 'costs: fees', value: num(c.fees, 2) },
      { metric: 'costs: slippage', value: num(c.slippage, 2) },
      { metric: 'costs: funding (net, + received)', value: num(c.funding, 2) },
      { metric: 'costs: liquidation fees', value: num(c.liquidation_fees, 2) },
      { metric: 'funding share of P&L', value: pct(c.funding_share_of_pnl) },
    ];
    if (r.identical !== undefined) rows.push({ metric: 'rerun of', value: `${r.manifest.rerun_of}: ${r.identical ? 'bit-identical' : `DIFFERS: ${(r.differences ?? []).join('; ')}`}` });
    process.stdout.write(formatTable(rows, ['metric', 'value']));
    if (r.regimes.length > 0) {
      process.stdout.write('\n');
      process.stdout.write(
        formatTable(
          r.regimes.map((g) => ({ dimension: g.dimension, regime: g.regime, periods: g.periods, mean_return_bps: Number((g.mean_return * 1e4).toFixed(3)), sharpe: g.sharpe === null ? null : Number(g.sharpe.toFixed(3)), note: g.small_sample ? 'small sample' : '' })),
        ),
      );
    }
  }
}
