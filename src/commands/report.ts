import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { parseList } from '../cli/parse.js';
import { usageError } from '../domain/errors.js';
import { REPORT_FORMATS, writeReport, type ReportFormat, type ReportResult } from '../services/report/index.js';

export default class Report extends PerpkitCommand<ReportResult> {
  static summary = 'Tear sheet of a backtest, research or optimisation run: self-contained HTML, Markdown or JSON, with the honesty panel on top.';
  static description = `Renders one run as a report: a run card (command, config, hashes, code version, seed, ledger trial
count), the honesty panel (Deflated Sharpe with the ledger's trial count, PSR, PBO where an
optimisation exists, the overfitting warning signs of seed §10.3, the realistic-expectation table of
§12.2, cost break-even, funding share, sealed-test unsealings), then the run's sections with charts.

HTML is one self-contained file (no network request of any kind): charts are SVG rendered with
Apache ECharts' server-side renderer, with tooltips. --interactive also inlines the ECharts bundle
for zoom and pan (about 1 MB more). Markdown writes the charts as SVG files beside the .md. JSON is
every number on the page under the schema perpkit.report/1 (docs/report.md).

The report goes to <data-dir>/reports/<kind>-<run-id>.<ext> unless --out says otherwise; the path
is printed. Long series are downsampled for display only; every number is computed on the full data.`;

  static examples = [
    '<%= config.bin %> report --run 20260101T000000Z-1a2b3c4d',
    '<%= config.bin %> report --latest --format md --out report.md',
    '<%= config.bin %> report --research 3f2a9c0d1e2b4a5c --format json',
    '<%= config.bin %> report --run RUN_A --compare RUN_B --interactive',
  ];

  static flags = {
    run: Flags.string({ description: 'Backtest run id (<data-dir>/runs/<run-id>).' }),
    research: Flags.string({ description: 'Research run id (the run_id of the research dataset).' }),
    optimize: Flags.string({ description: 'Optimisation run id (<data-dir>/optimize/<run-id>).' }),
    latest: Flags.boolean({ description: 'The most recent run of any kind.', default: false }),
    format: Flags.string({ description: 'Output format.', options: [...REPORT_FORMATS], default: 'html' }),
    out: Flags.string({ description: 'Output file (default <data-dir>/reports/<kind>-<run-id>.<ext>).' }),
    interactive: Flags.boolean({ description: 'HTML: inline the full ECharts bundle for zoom and pan.', default: false }),
    compare: Flags.string({ description: 'Other backtest run ids to compare with --run: comma-separated, or the flag repeated.', multiple: true }),
  };

  protected async execute(): Promise<ReportResult> {
    const { flags } = await this.parse(Report);
    const root = this.dataDir(flags['data-dir']);
    const compare = flags.compare === undefined ? undefined : [...new Set(flags.compare.flatMap((v) => parseList(v, 'compare') ?? []))];
    if (compare !== undefined && compare.length === 0) throw usageError('--compare needs at least one run id', { hint: '--run A --compare B,C' });
    for (const [k, v] of [['run', flags.run], ['research', flags.research], ['optimize', flags.optimize], ['out', flags.out]] as const) {
      if (v !== undefined && v.trim() === '') throw usageError(`--${k} must not be empty`);
    }
    const ctx = await this.context();
    return writeReport(
      {
        root,
        ...(flags.run !== undefined ? { run: flags.run } : {}),
        ...(flags.research !== undefined ? { research: flags.research } : {}),
        ...(flags.optimize !== undefined ? { optimize: flags.optimize } : {}),
        latest: flags.latest,
        ...(compare ? { compare } : {}),
        format: flags.format as ReportFormat,
        ...(flags.out !== undefined ? { out: flags.out } : {}),
        interactive: flags.interactive,
      },
      ctx,
    );
  }

  protected present(r: ReportResult): void {
    process.stdout.write(`${r.path}\n${r.summary.join('\n')}\n`);
  }
}
