import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { symbolsFlag } from '../cli/flags.js';
import { parseDuration, parseList, parseNumber, parseSymbols, parseTime } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { PAPER_DEFAULTS } from '../domain/defaults.js';
import { usageError } from '../domain/errors.js';
import { readConfigFile } from '../services/backtest.js';
import { replayPaper, type ReplayResult } from '../services/paper/replay.js';
import { paper, type PaperResult } from '../services/paper/run.js';
import { paperStatus, type StatusResult } from '../services/paper/status.js';
import type { ReceiveClock } from '../sources/ws/connection.js';
import { FEEDS, type FeedVenue } from '../sources/ws/protocol.js';

type Out = PaperResult | StatusResult | ReplayResult;

export default class Paper extends PerpkitCommand<Out> {
  static interruptGraceMs = PAPER_DEFAULTS.interrupt_grace_ms;
  static summary = 'Paper trading on the live feed with the backtest engine; --replay proves live and backtest agree; --status from another shell.';
  static description = `Live WebSocket data through the recorder's adapters (every message recorded to the usual datasets
with receive times), bars built from trades, a decision at each bar close on the wall clock (the
strategy's columns by the features' tail recompute), simulated fills by the backtest engine's own
step (same latency, fee, slippage, funding, margin and risk models). No order is ever sent: there
is no code path to a venue's order endpoint. Outputs as a backtest's (orders, fills, positions,
equity, funding_payments, events) under <data-dir>/paper/<run-id>/, written every
--flush-interval; every engine input is journaled before it is used, so a restart with the same
--run-id (after a crash or kill -9) resumes with the same orders. SIGTERM/Ctrl-C writes everything
and exits 130 (--flatten-on-exit closes positions first, waiting at most two bars for the fills).
--replay RUN re-runs the recorded period through the batch backtest and diffs bars, decisions,
orders, fills and P&L (exit 3 naming the first divergence). See docs/paper.md.`;

  static examples = [
    '<%= config.bin %> paper --strategy signal --config sig.yaml --venue coinbase --symbols BTC-PERP --run-id btc30d --duration 30d',
    '<%= config.bin %> paper --status btc30d',
    '<%= config.bin %> paper --replay btc30d --json',
  ];

  static flags = {
    strategy: Flags.string({ description: 'Built-in strategy (signal, regime) or a module path; its columns must be price/volume features.' }),
    config: Flags.string({ description: 'YAML/JSON config: engine settings and a strategy: section (as for backtest).' }),
    venue: Flags.string({ description: 'Venue feed (binance-usdm has no WebSocket adapter yet).', options: [...Object.keys(FEEDS), 'binance-usdm'] }),
    symbols: symbolsFlag('To trade (BTC-PERP, BTC-USD).'),
    'symbol-map': Flags.string({ description: 'Extra symbol=product-id pairs (as for record).' }),
    capital: Flags.string({ description: `Initial capital, quote currency (default ${PAPER_DEFAULTS.capital}).` }),
    duration: Flags.string({ description: `Run this long, then exit 0 (default ${PAPER_DEFAULTS.duration_ms / 86_400_000}d).` }),
    bar: Flags.string({ description: `Bar length of the decisions (default ${PAPER_DEFAULTS.bar}).` }),
    'run-id': Flags.string({ description: 'Run id; an existing run with this id is resumed (default: a new id).' }),
    'flatten-on-exit': Flags.boolean({ description: 'On SIGTERM/Ctrl-C, close every position before exiting.', default: false }),
    url: Flags.string({ description: 'WebSocket URL (default: the venue production feed; for proxies and tests).' }),
    'flush-interval': Flags.string({ description: `Write outputs, checkpoint and status this often (default ${PAPER_DEFAULTS.flush_ms / 1000}s).` }),
    'bar-grace': Flags.string({ description: `A bar closes this long after its end (default ${PAPER_DEFAULTS.bar_grace_ms / 1000}s).` }),
    status: Flags.string({ description: 'Print the status of this paper run (from another shell) and exit.' }),
    replay: Flags.string({ description: 'Re-run this paper run through the backtest and diff (exit 3 on a divergence).' }),
    from: Flags.string({ description: '--replay: compare from this time.' }),
    to: Flags.string({ description: '--replay: compare before this time.' }),
    'fill-tolerance': Flags.string({ description: `--replay: fill price tolerance, bps (default ${PAPER_DEFAULTS.fill_tolerance_bps}).` }),
  };

  protected async execute(): Promise<Out> {
    const { flags } = await this.parse(Paper);
    if (flags.status !== undefined && flags.replay !== undefined) throw usageError('give --status or --replay, not both');
    const root = flags.status !== undefined || flags.replay !== undefined ? this.dataDir(flags['data-dir']) : this.writableDataDir(flags['data-dir']);
    if (flags.status !== undefined) return paperStatus(root, flags.status, Date.now());
    if (flags.replay !== undefined) {
      const from = parseTime('from', flags.from);
      const to = parseTime('to', flags.to);
      if (from !== undefined && to !== undefined && from >= to) throw usageError('--from must be before --to');
      const tol = parseNumber('fill-tolerance', flags['fill-tolerance'], { min: 0 });
      const ctx = await this.context();
      return await replayPaper({ root, run_id: flags.replay, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(tol !== undefined ? { fill_tolerance_bps: tol } : {}) }, ctx);
    }
    if (flags.from !== undefined || flags.to !== undefined || flags['fill-tolerance'] !== undefined) throw usageError('--from, --to and --fill-tolerance go with --replay');
    if (!flags.strategy) throw usageError('--strategy is required', { hint: 'e.g. --strategy signal --config sig.yaml (strategy.column: roc_1)' });
    if (!flags.venue) throw usageError('--venue is required', { hint: `one of ${Object.keys(FEEDS).join(', ')}` });
    if (flags.venue === 'binance-usdm') throw usageError('paper: binance-usdm has no WebSocket adapter in the recorder yet', { hint: 'use --venue coinbase or coinbase-intx' });
    const symbols = parseSymbols('symbols', flags.symbols) ?? [];
    if (symbols.length === 0) throw usageError('--symbols is required (e.g. BTC-PERP)');
    const symbolMap: Record<string, string> = {};
    for (const pair of parseList(flags['symbol-map'], 'symbol-map') ?? []) {
      const [k, v, ...rest] = pair.split('=');
      if (!k || !v || rest.length) throw usageError(`--symbol-map must be symbol=product-id pairs, got ${JSON.stringify(pair)}`);
      symbolMap[k] = v;
    }
    const url = flags.url ?? process.env[`PERPKIT_WS_URL_${flags.venue.toUpperCase().replace(/-/g, '_')}`];
    if (url !== undefined && url !== '' && !/^wss?:\/\/[^\s/]+/.test(url)) throw usageError(`--url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
    const capital = parseNumber('capital', flags.capital, { min: 0, minExclusive: true });
    const durationMs = parseDuration('duration', flags.duration);
    const flushMs = parseDuration('flush-interval', flags['flush-interval']);
    const graceMs = parseDuration('bar-grace', flags['bar-grace']);
    if (durationMs !== undefined && durationMs <= 0) throw usageError('--duration must be positive');
    const doc: Record<string, unknown> = flags.config ? readConfigFile(flags.config) : {};
    const ctx = await this.context();
    const clock = testClock(process.env['PERPKIT_PAPER_TEST_CLOCK']);
    const r = await paper(
      {
        root,
        strategy: flags.strategy,
        config: doc,
        ...(flags.config ? { config_path: flags.config } : {}),
        venue: flags.venue as FeedVenue,
        symbols,
        symbol_map: symbolMap,
        ...(url ? { url } : {}),
        ...(capital !== undefined ? { capital } : {}),
        ...(durationMs !== undefined ? { duration_ms: durationMs } : {}),
        ...(flags.bar !== undefined ? { bar: flags.bar } : {}),
        ...(flags['run-id'] !== undefined ? { run_id: flags['run-id'] } : {}),
        flatten_on_exit: flags['flatten-on-exit'],
        ...(clock ? { clock, tick_ms: 10 } : {}),
        ...(flushMs !== undefined ? { flush_ms: flushMs } : {}),
        ...(graceMs !== undefined ? { bar_grace_ms: graceMs } : {}),
      },
      ctx,
    );
    return r;
  }

  protected present(o: Out): void {
    if ('alive' in o) {
      const s = o;
      process.stdout.write(
        formatTable([
          { field: 'run', value: `${s.run_id} (${s.alive ? `running, pid ${s.pid}` : 'not running'}; status ${(s.status_age_ms / 1000).toFixed(0)} s old)` },
          { field: 'equity', value: `${s.equity.toFixed(2)} (cash ${s.cash.toFixed(2)}; controller ${s.drawdown_state}${s.killed ? `; KILLED: ${s.killed}` : ''})` },
          ...s.positions.map((p) => ({ field: `position ${p.symbol}`, value: `${p.qty} @ ${p.entry} (pending ${p.pending}, mark ${p.mark})` })),
          { field: 'counts', value: `${s.counters.bars} bars, ${s.counters.decisions} decisions, ${s.counters.orders} orders, ${s.counters.fills} fills, ${s.counters.late_trades} late trades` },
          { field: 'data health', value: `${s.counters.reconnects} reconnects, ${s.counters.gaps} gaps, ${s.counters.funding_missing} missing funding prints` },
          ...s.streams.map((x) => ({ field: `last data ${x.stream}`, value: x.age_ms === null ? 'none yet' : `${(x.age_ms / 1000).toFixed(1)} s before the status` })),
        ], ['field', 'value']),
      );
      return;
    }
    if ('parity' in o) {
      const r = o;
      process.stdout.write(
        formatTable([
          { check: 'parity', value: r.parity ? 'yes' : 'NO' },
          { check: 'compared', value: `${r.compared.bars} bars, ${r.compared.decisions} decisions, ${r.compared.orders} orders, ${r.compared.fills} fills` },
          { check: 'max fill difference', value: `${r.max_fill_diff_bps.toFixed(3)} bps (tolerance ${r.tolerance.fill_bps})` },
          { check: 'final equity', value: `paper ${r.final_equity.paper.toFixed(2)}, replay ${r.final_equity.replay.toFixed(2)}` },
          ...(r.note ? [{ check: 'note', value: r.note }] : []),
        ], ['check', 'value']),
      );
      return;
    }
    const r = o;
    process.stdout.write(formatTable([{ run: r.run_id, bars: r.bars, decisions: r.decisions, orders: r.orders, fills: r.fills, equity: Number(r.equity.toFixed(2)), stopped_by: r.stopped_by }]));
  }
}

/**
 * Tests only: PERPKIT_PAPER_TEST_CLOCK="R0_ms,T0_us,speed" runs the clock at `speed` x real time,
 * at T0 when the real clock read R0 (the same mapping across a restart), so a test runs many bars in
 * seconds. The loop then checks for closed bars every 10 ms.
 */
function testClock(v: string | undefined): ReceiveClock | null {
  if (!v) return null;
  const [r0, t0, speed] = v.split(',').map(Number);
  if (!(Number.isFinite(r0) && Number.isFinite(t0) && (speed ?? 0) > 0)) throw usageError('PERPKIT_PAPER_TEST_CLOCK must be "R0_ms,T0_us,speed"');
  let last = 0;
  return {
    nowUs(): number {
      let t = Math.round(t0! + (performance.timeOrigin + performance.now() - r0!) * 1000 * speed!);
      if (t <= last) t = last + 1;
      last = t;
      return t;
    },
  };
}
