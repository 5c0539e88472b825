import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { parseDuration, parseDurationFlag, parseList, parseNumber, parseSymbols, parseTimeframe, parseTimeRange } from '../cli/parse.js';
import { usageError } from '../domain/errors.js';
import { execQuery, runQuery } from '../store/queries.js';
import { MAX_CV_FOLDS, SCHEMES, type Scheme } from '../domain/split.js';
import {
  createSplit,
  loadSplit,
  parseSelector,
  readSegment,
  renderTimeline,
  type ReadSegmentResult,
  type SplitFile,
  type SplitResult,
} from '../services/split.js';

type Result =
  | ({ mode: 'create' } & SplitResult)
  | { mode: 'show'; split: SplitFile }
  | ({ mode: 'read'; split: string; segment: string; dataset: string; data: Array<Record<string, unknown>> } & Omit<ReadSegmentResult, 'table'>);

const dur = (name: string, v: string | undefined): number | undefined => {
  const ms = parseDurationFlag(name, v);
  return ms === undefined ? undefined : ms * 1000;
};

export default class Split extends PerpkitCommand<Result> {
  static summary = 'Chronological splits of the labelled decision rows: holdout with buffers, walk-forward, purged k-fold, CPCV; a sealed test set.';
  static description = `Writes <data-dir>/splits/<name>.json with the exact time boundaries of every segment or fold, row
counts per symbol, the purge and embargo applied, and the content hashes of the features and labels
it was computed on. It copies no data; readers (--read, and later steps) apply it.

Rows are the labelled decisions of the labels dataset (perpkit features --labels); a row's label
window is [decision_time, label_end_time of its longest horizon].
  holdout       train/validation/test by time (--train/--validation/--test, default 0.6/0.2/0.2) with a
                --buffer between segments (default: longest label horizon + longest feature lookback);
                training rows whose label reaches the next segment are purged. The test segment is
                sealed: --read test needs --unseal-test, is recorded in the ledger, and a second
                unsealing is reported as a repeated look.
  walk-forward  --train-window/--test-window/--step (default 180d/30d/30d), --window rolling|expanding,
                --buffer between train and test, purging as above.
  purged-kfold  --groups contiguous groups (default 5); each is the test block once; training rows whose
                label window overlaps the block are purged, and rows within --embargo after it removed.
  cpcv          combinatorial purged CV: --groups N (default 6), --test-groups k (default 2): C(N,k) splits.
Purged k-fold and CPCV refuse more than ${MAX_CV_FOLDS.toLocaleString('en-US')} folds (exit 2, before any work), and any fold left
with 0 training rows after purge and embargo (exit 2; nothing written). Times in the file are UTC
with microseconds, the unit boundaries are computed in.

--read checks that the features and labels still hash as recorded in the split file; if they
changed it exits 3 unless --allow-changed, which reads anyway and records the new hashes in the
ledger. Ctrl-C/SIGTERM stop a long split between folds (exit 130; nothing written).`;

  static examples = [
    '<%= config.bin %> split --name main --scheme holdout',
    '<%= config.bin %> split --name wf --scheme walk-forward --train-window 180d --test-window 30d --step 30d',
    '<%= config.bin %> split --name cv --scheme cpcv --groups 6 --test-groups 2 --embargo 2d',
    '<%= config.bin %> split --show main',
    '<%= config.bin %> split --read main --segment train --dataset features > train.ndjson',
    '<%= config.bin %> split --read main --segment test --dataset labels --unseal-test --json',
  ];

  static flags = {
    name: Flags.string({ description: 'Name of the split to create.' }),
    scheme: Flags.string({ description: 'Splitting scheme.', options: [...SCHEMES], default: 'holdout' }),
    venue: Flags.string({ description: 'Venue of the labels.', default: 'binance-usdm' }),
    symbols: Flags.string({ description: 'Symbols (default: all labelled).' }),
    timeframe: Flags.string({ description: 'Timeframe of the decision grid.', default: '1h' }),
    horizons: Flags.string({ description: 'Label horizons to use (default: all stored).' }),
    from: Flags.string({ description: 'First decision time (UTC).' }),
    to: Flags.string({ description: 'Decision times before this (UTC).' }),
    train: Flags.string({ description: 'holdout: train share.', default: '0.6' }),
    validation: Flags.string({ description: 'holdout: validation share (0 for none).', default: '0.2' }),
    test: Flags.string({ description: 'holdout: test share.', default: '0.2' }),
    buffer: Flags.string({ description: 'Gap between segments (holdout, walk-forward), e.g. 3d. Default: longest label + longest lookback.' }),
    'train-window': Flags.string({ description: 'walk-forward train window.', default: '180d' }),
    'test-window': Flags.string({ description: 'walk-forward test window.', default: '30d' }),
    step: Flags.string({ description: 'walk-forward step.', default: '30d' }),
    window: Flags.string({ description: 'walk-forward train window kind.', options: ['rolling', 'expanding'], default: 'rolling' }),
    groups: Flags.integer({ description: 'purged-kfold / cpcv: number of groups (default 5 / 6).', min: 2 }),
    'test-groups': Flags.integer({ description: 'cpcv: test groups per split (default 2).', min: 1 }),
    embargo: Flags.string({ description: 'purged-kfold / cpcv: embargo after each test block. Default: longest feature lookback.' }),
    replace: Flags.boolean({ description: 'Overwrite an existing split of this name with a new definition.', default: false }),
    show: Flags.string({ description: 'Print the timeline of an existing split.' }),
    read: Flags.string({ description: 'Print the rows of a split segment as NDJSON (with --segment, --dataset).' }),
    segment: Flags.string({ description: 'With --read: train, validation, test, or fold-N-train / fold-N-test.' }),
    dataset: Flags.string({ description: 'With --read: features or labels.', options: ['features', 'labels'], default: 'features' }),
    'unseal-test': Flags.boolean({ description: 'Allow reading the sealed test segment (recorded in the ledger).', default: false }),
    'allow-changed': Flags.boolean({
      description: 'With --read: read even though the features or labels changed since the split was written (the new hashes are recorded in the ledger). Without it such a read exits 3.',
      default: false,
    }),
  };

  protected async execute(): Promise<Result> {
    const { flags } = await this.parse(Split);
    const root = this.dataDir(flags['data-dir']);
    if (flags.show) return { mode: 'show', split: loadSplit(root, flags.show) };
    const ctx = await this.context();
    if (flags.read) {
      if (!flags.segment) throw usageError('--read needs --segment (train, validation, test, fold-N-train, fold-N-test)');
      const r = await readSegment(
        {
          root,
          name: flags.read,
          selector: parseSelector(flags.segment),
          dataset: flags.dataset as 'features' | 'labels',
          unseal_test: flags['unseal-test'],
          allow_changed: flags['allow-changed'],
          command: 'split --read',
          args: { read: flags.read, segment: flags.segment, dataset: flags.dataset },
        },
        ctx,
      );
      const data = await runQuery(ctx.db, 'split/segment_rows', {}, { idents: { table: r.table } });
      await execQuery(ctx.db, 'split/segment_drop', {}, { idents: { table: r.table } });
      const { table: _t, ...rest } = r;
      return { mode: 'read', split: flags.read, segment: flags.segment, dataset: flags.dataset, data, ...rest };
    }
    if (!flags.name) throw usageError('give --name to create a split, --show NAME to print one, or --read NAME --segment S to read rows');
    // Every flag is parsed before any data is read, so a bad value is exit 2 whatever is stored.
    const frac = (name: string, v: string, open: boolean): number => parseNumber(name, v, { min: 0, max: 1, minExclusive: open }) as number;
    const holdout = { train: frac('train', flags.train, true), validation: frac('validation', flags.validation, false), test: frac('test', flags.test, true) };
    if (holdout.train + holdout.validation + holdout.test > 1 + 1e-9) {
      throw usageError(`--train + --validation + --test must be at most 1, got ${holdout.train} + ${holdout.validation} + ${holdout.test}`, {
        hint: 'fractions of the time range; leave one out for its default or make them sum to 1',
        details: { flag: 'train', value: flags.train, accepted: 'fractions summing to at most 1' },
      });
    }
    if (flags.groups !== undefined && flags['test-groups'] !== undefined && flags['test-groups'] >= flags.groups) {
      throw usageError(`--test-groups must be below --groups, got ${flags['test-groups']} of ${flags.groups}`, { details: { flag: 'test-groups', value: flags['test-groups'] } });
    }
    const { from, to } = parseTimeRange(flags.from, flags.to);
    parseTimeframe('timeframe', flags.timeframe);
    const symbols = parseSymbols('symbols', flags.symbols);
    const horizons = parseList(flags.horizons, 'horizons');
    for (const h of horizons ?? []) parseDuration('horizons', h);
    const buffer = dur('buffer', flags.buffer);
    const embargo = dur('embargo', flags.embargo);
    const r = await createSplit(
      {
        root,
        name: flags.name,
        scheme: flags.scheme as Scheme,
        venue: flags.venue,
        timeframe: flags.timeframe,
        ...(symbols ? { symbols } : {}),
        ...(horizons ? { horizons } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        holdout: { ...holdout, ...(buffer !== undefined ? { buffer_us: buffer } : {}) },
        walk_forward: {
          train_us: dur('train-window', flags['train-window']) as number,
          test_us: dur('test-window', flags['test-window']) as number,
          step_us: dur('step', flags.step) as number,
          window: flags.window as 'rolling' | 'expanding',
          ...(buffer !== undefined ? { buffer_us: buffer } : {}),
        },
        cv: {
          ...(flags.groups !== undefined ? { groups: flags.groups } : {}),
          ...(flags['test-groups'] !== undefined ? { test_groups: flags['test-groups'] } : {}),
          ...(embargo !== undefined ? { embargo_us: embargo } : {}),
        },
        replace: flags.replace,
      },
      ctx,
    );
    return { mode: 'create', ...r };
  }

  protected present(r: Result): void {
    if (r.mode === 'read') {
      for (const row of r.data) process.stdout.write(`${JSON.stringify(row)}\n`);
      if (!this.quiet) process.stderr.write(`${r.rows} rows of ${r.dataset} (${r.decision_rows} decision rows), split ${r.split} ${r.segment}${r.changed_inputs.length ? ` (CHANGED DATA: ${r.changed_inputs.map((c) => c.dataset).join(', ')})` : ''}${r.repeated_look ? ` (REPEATED LOOK: unsealed ${r.previous_unsealings.length} time(s) before)` : ''}\n`);
      return;
    }
    process.stdout.write(renderTimeline(r.split));
    if (r.mode === 'create' && !this.quiet) process.stderr.write(`wrote ${r.path}${r.replaced ? ' (replaced the previous definition)' : ''}\n`);
  }
}
