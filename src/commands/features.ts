import { existsSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { parseDuration, parseList, parseNumber, parseSymbols, parseTimeframe, parseTimeRange } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { validationError } from '../domain/errors.js';
import { DEFAULT_FEATURES_CONFIG, FEATURE_FAMILIES, FEATURES, type FeatureFamily, type FeatureSpec } from '../domain/features.js';
import {
  buildFeatures,
  buildLabels,
  builtFamilies,
  type BuiltFamily,
  checkLeakage,
  type FeaturesResult,
  type LabelsResult,
  type LeakageResult,
  type WorkerMode,
} from '../services/features.js';

type Result =
  | { mode: 'list'; features: FeatureSpec[]; built: BuiltFamily[] }
  | ({ mode: 'features' } & FeaturesResult)
  | ({ mode: 'labels' } & LabelsResult)
  | ({ mode: 'leakage' } & LeakageResult);

export default class Features extends PerpkitCommand<Result> {
  static summary = 'Compute point-in-time features (and, apart, labels) on a decision grid; prove no feature sees the future.';
  static description = `Decision times are the bar closes of --timeframe plus --decision-latency. Every input is joined
ASOF on available_time <= decision time; each joined input reports its age (<input>_age_ms) and past
its maximum age its features are NULL (counted and reported). Windows are trailing and end at the
current row; a window of n bars is the n most recent bars by event time and counts only when
they are n consecutive bars (warm-up and gaps give NULL, never 0). A value at decision time T comes
from the most recent complete window all of whose rows have available_time <= T, so a late bar
delays the windows that hold it. Writes the "features" dataset (venue/symbol/timeframe/month);
--set replaces only its families' columns and keeps the others as stored.

Modes:
  (default)          compute the feature families of --set into the features dataset
  --list             the catalog: name, family, input, lookback, unit, meaning, hypothesis; and which
                     families are built in the data dir (venue, timeframe, symbols, decision range)
  --labels           forward returns for --horizons into the separate "labels" dataset: entry at the
                     first price at or after decision + --exec-latency on the finest data present
                     (trades, else the finest bar opens), exit at decision + latency + horizon;
                     a gap at either end gives no label (counted); label_end_time = exit
  --check-leakage    for --cutoffs random times T, drop and then perturb every input row with
                     available_time > T, recompute, and require every value at decision times <= T
                     to be bit-identical; exit 3 with the differences if not`;

  static examples = [
    '<%= config.bin %> features --venue binance-usdm --timeframe 1h',
    '<%= config.bin %> features --venue binance-usdm --symbols ETH-PERP --timeframe 15m --set price,perp_spot --from 2026-03-14',
    '<%= config.bin %> features --venue binance-usdm --timeframe 1h --incremental',
    '<%= config.bin %> features --labels --venue binance-usdm --timeframe 1h --horizons 1h,4h,24h',
    '<%= config.bin %> features --check-leakage --venue binance-usdm --timeframe 1h --cutoffs 200',
    '<%= config.bin %> features --list --json',
  ];

  static flags = {
    set: Flags.string({ description: `Families to compute, comma-separated, or "all": ${FEATURE_FAMILIES.join(', ')}.`, default: 'all' }),
    venue: Flags.string({ description: 'Venue of the perps.', default: 'binance-usdm' }),
    symbols: Flags.string({ description: 'Perps to compute (default: every perp of the venue in instruments).' }),
    timeframe: Flags.string({ description: 'Bar timeframe of the decision grid (1m, 5m, 15m, 1h, ...).', default: '1h' }),
    from: Flags.string({ description: 'First decision time (UTC).' }),
    to: Flags.string({ description: 'Decision times before this (UTC).' }),
    'decision-latency': Flags.string({ description: `Decision time after the bar close (default ${DEFAULT_FEATURES_CONFIG.decision_latency_ms / 1000}s).` }),
    list: Flags.boolean({ description: 'Print the feature catalog.', default: false }),
    labels: Flags.boolean({ description: 'Write forward-return labels instead of features.', default: false }),
    horizons: Flags.string({ description: 'Label horizons (with --labels).', default: '1h,4h,24h' }),
    'label-timeframe': Flags.string({ description: 'Price entries and exits only on bar opens of this timeframe (default: the finest data present: trades, then the finest bars up to --timeframe).' }),
    'exec-latency': Flags.string({ description: 'Execution latency after the decision, for label entries.', default: '1s' }),
    'round-trip-cost': Flags.string({ description: 'Round-trip cost for cost_return, a fraction in [0, 0.2] (default: 2 x the instrument taker fee).' }),
    timings: Flags.boolean({ description: 'Print the time of each step (load, windows, prints, derived, write, ...) on stderr.', default: false }),
    worker: Flags.string({
      description:
        'Compute each symbol in a worker thread while the store writes the one before: auto (symbols of 100,000 bars or more, on 2+ cores), on, or off (less memory: one symbol\'s columns at a time instead of two). The values are the same either way.',
      options: ['auto', 'on', 'off'],
      default: 'auto',
    }),
    incremental: Flags.boolean({
      description: 'Recompute only decisions at or after the earliest input row stored since the last build (the cron case); writes what a full build would.',
      default: false,
    }),
    'check-leakage': Flags.boolean({ description: 'Run the leakage harness.', default: false }),
    cutoffs: Flags.integer({ description: 'Random cutoffs for --check-leakage.', default: 200, min: 1 }),
    seed: Flags.integer({ description: 'Seed of the cutoffs for --check-leakage.', default: 42 }),
  };

  private showTimings = false;

  protected async execute(): Promise<Result> {
    const { flags } = await this.parse(Features);
    this.showTimings = flags.timings;
    if (flags.list) {
      const built = existsSync(this.dataDir(flags['data-dir'])) ? await builtFamilies(await this.context(), this.dataDir(flags['data-dir'])) : [];
      return { mode: 'list', features: [...FEATURES], built };
    }
    // Every flag is parsed before any data is read, so a bad value is exit 2 whatever is stored.
    const families = flags.set === 'all' ? undefined : (parseList(flags.set, 'set', FEATURE_FAMILIES) as FeatureFamily[] | undefined);
    const latency = parseDuration('decision-latency', flags['decision-latency'], { allowZero: true, maxMs: 3_600_000 });
    const { from, to } = parseTimeRange(flags.from, flags.to);
    const symbols = parseSymbols('symbols', flags.symbols);
    const timeframe = parseTimeframe('timeframe', flags.timeframe) as string;
    const horizons = flags.labels ? (parseList(flags.horizons, 'horizons') ?? []) : [];
    for (const h of horizons) parseDuration('horizons', h, { maxMs: 366 * 86_400_000 });
    const labelTf = parseTimeframe('label-timeframe', flags['label-timeframe']);
    const exec = parseDuration('exec-latency', flags['exec-latency'], { allowZero: true, maxMs: 3_600_000 });
    const cost = parseNumber('round-trip-cost', flags['round-trip-cost'], { min: 0, max: 0.2 });
    const root = flags.labels || (!flags['check-leakage']) ? this.writableDataDir(flags['data-dir']) : this.dataDir(flags['data-dir']);
    const base = {
      root,
      venue: flags.venue,
      timeframe,
      ...(symbols ? { symbols } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(families ? { families } : {}),
      ...(latency !== undefined ? { config: { decision_latency_ms: latency } } : {}),
    };
    const ctx = await this.context();
    if (flags['check-leakage']) {
      const r = await checkLeakage({ ...base, cutoffs: flags.cutoffs, seed: flags.seed }, ctx);
      if (!r.ok) {
        const first = r.differences.slice(0, 10).map((d) => `  ${d.mode} cutoff ${d.cutoff}: ${d.symbol} ${d.decision_time} ${d.column}: ${d.full} vs ${d.modified}`);
        throw validationError(`leakage check failed: ${r.differences.length} value(s) at decision times <= the cutoff changed when later input rows changed:\n${first.join('\n')}`, {
          details: { ...r },
        });
      }
      return { mode: 'leakage', ...r };
    }
    if (flags.labels) {
      return {
        mode: 'labels',
        ...(await buildLabels(
          {
            ...base,
            horizons,
            ...(labelTf ? { label_timeframe: labelTf } : {}),
            ...(exec !== undefined ? { exec_latency_ms: exec } : {}),
            ...(cost !== undefined ? { round_trip_cost: cost } : {}),
          },
          ctx,
        )),
      };
    }
    return { mode: 'features', ...(await buildFeatures({ ...base, ...(flags.incremental ? { incremental: true } : {}), worker: flags.worker as WorkerMode }, ctx)) };
  }

  protected present(r: Result): void {
    const out = process.stdout;
    switch (r.mode) {
      case 'list':
        out.write(formatTable(r.features.map((x) => ({ name: x.name, family: x.family, input: x.input, lookback: x.lookback, unit: x.unit, hypothesis: x.hypothesis, meaning: x.meaning }))));
        if (r.built.length) {
          out.write('\nbuilt in this data dir:\n');
          out.write(formatTable(r.built.map((b) => ({ ...b }))));
        } else if (!this.quiet) process.stderr.write('no features built in this data dir yet\n');
        return;
      case 'leakage':
        out.write(
          formatTable([
            { cutoffs: r.cutoffs.length, compared_rows: r.compared_rows, compared_values: r.compared_values, modified_input_rows: r.modified_input_rows, differences: r.differences.length, result: r.ok ? 'pass' : 'FAIL' },
          ]),
        );
        return;
      case 'labels':
        out.write(formatTable([{ dataset: 'labels', timeframe: r.timeframe, label_timeframe: r.label_timeframe, priced_by: [...new Set(Object.values(r.price_sources).flat())].join(','), rel_return: `${Object.keys(r.spot_sources).length} of ${Object.keys(r.price_sources).length} symbols`, horizons: r.horizons.join(','), rows: r.rows, ...Object.fromEntries(Object.entries(r.unlabeled).map(([h, n]) => [`unlabeled_${h}`, n])) }]));
        return;
      case 'features':
        out.write(
          formatTable(
            Object.keys(r.stale).map((input) => ({ input, stale_rows: r.stale[input] ?? 0, rows_without_input: r.missing[input] ?? 0 })),
          ),
        );
        if (this.showTimings) process.stderr.write(formatTable(Object.entries(r.timings_ms).map(([step, ms]) => ({ step, ms }))));
        if (!this.quiet) {
          process.stderr.write(`${r.rows} decision rows for ${r.symbols.join(', ')} at ${r.timeframe}; families ${r.families.join(', ')}\n`);
          for (const n of r.notes) process.stderr.write(`note: ${n}\n`);
        }
    }
  }
}
