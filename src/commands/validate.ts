import { Flags } from '@oclif/core';
import { readFileSync, existsSync } from 'node:fs';
import { PerpkitCommand } from '../cli/base.js';
import { parseList } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { missingError, usageError, validationError } from '../domain/errors.js';
import { SEVERITIES, ValidateConfigSchema, type Severity, type ValidateConfig } from '../domain/validate-config.js';
import { validateData, VALIDATED_DATASETS, type ValidateResult } from '../services/validate.js';

export default class Validate extends PerpkitCommand<ValidateResult> {
  static summary = 'Run data-quality checks over the datasets, write a quality report and a quarantine; exit 3 on violations.';
  static description = `Runs the checks of queries/validate/*.sql (each returns the offending rows; none = pass) over the
stored data, never changing it. Writes:
  - a quality report: <data-dir>/reports/validate-<time>.json, and a table on stdout (per dataset,
    venue, symbol and check: count, severity, first example);
  - the quarantine dataset: offending rows by key with check, severity and reason, replaced for each
    validated dataset, venue and symbol (re-runs are idempotent; fixed rows drop out). Later steps
    exclude quarantined rows and report how many.
Damaged Parquet files anywhere in the data dir (0 bytes, truncated: every other command refuses
to read past them) are moved aside first, into <data-dir>/.perpkit/quarantine-files/<time>/ with a
record per file in records.ndjson there (nothing is deleted; move a file back to restore it), and
the rest is checked.
Exits 3 when a check at or above --fail-on (default error) finds rows or a damaged file was moved;
under --json the error document carries the whole report in error.details.report.
Checks: gaps (seed: > 5 bars; known weekly closures recognised), duplicates, misaligned and
out-of-order timestamps, OHLC consistency, non-positive/non-finite prices, negative volume, outliers
cross-checked against mark/spot, available_time < event_time, events after their fetch time,
precision loss, funding cadence/bounds/mixups/cross-source, predicted funding staleness, spot and
mark coverage. Thresholds: --config FILE (JSON, see src/domain/validate-config.ts for every default).`;

  static examples = [
    '<%= config.bin %> validate',
    '<%= config.bin %> validate --datasets bars --symbols BTC --fail-on warn',
    '<%= config.bin %> validate --config validate.json --json > report.json',
  ];

  static flags = {
    datasets: Flags.string({ description: `Comma-separated datasets to check (${VALIDATED_DATASETS.join(',')}). Default: all stored.` }),
    venue: Flags.string({ description: 'Comma-separated venues to check. Default: all.' }),
    symbols: Flags.string({ description: 'Comma-separated symbols (BTC-PERP) or base assets (BTC). Default: all.' }),
    'fail-on': Flags.string({
      description: 'Exit 3 when a check of this severity or above finds rows.',
      options: [...SEVERITIES],
      default: 'error',
    }),
    config: Flags.string({ description: 'JSON file overriding thresholds, severities and closures (see the README).' }),
  };

  protected async execute(): Promise<ValidateResult> {
    const { flags } = await this.parse(Validate);
    const config = loadConfig(flags.config);
    const datasets = parseList(flags.datasets);
    const venue = parseList(flags.venue);
    const symbols = parseList(flags.symbols);
    const result = await validateData(
      {
        root: this.dataDir(flags['data-dir']),
        ...(datasets ? { datasets } : {}),
        ...(venue ? { venue } : {}),
        ...(symbols ? { symbols } : {}),
        failOn: flags['fail-on'] as Severity,
        ...(config ? { config } : {}),
      },
      await this.context(),
    );
    if (result.failed) {
      // The report is complete and written; the exit code says the data failed.
      if (!this.jsonMode) this.present(result);
      const n = result.findings.filter((f) => result.failing_checks.includes(f.check)).reduce((a, f) => a + f.count, 0);
      const parts: string[] = [];
      if (result.corrupt_files.length) {
        parts.push(
          `${result.corrupt_files.length} damaged Parquet file(s) moved aside:\n${result.corrupt_files.map((c) => `  ${c.file} ${c.reason} -> ${c.moved_to}`).join('\n')}`,
        );
      }
      if (result.failing_checks.length) parts.push(`${n} row(s) in check(s) ${result.failing_checks.join(', ')} at or above ${result.fail_on}`);
      throw validationError(`validation failed: ${parts.join('; ')}\nreport: ${result.report_path}`, {
        hint: result.corrupt_files.length
          ? `re-fetch the data the damaged files held (their records: ${result.data_dir}/.perpkit/quarantine-files/records.ndjson; move a file back to restore it), then run "perpkit validate" again`
          : `quarantined rows are excluded by later steps; fix the data and run "perpkit validate" again, or raise --fail-on`,
        details: { report: result },
      });
    }
    return result;
  }

  protected present(r: ValidateResult): void {
    const damaged = r.corrupt_files.map((c) => ({
      severity: 'error',
      dataset: c.file.split('/')[0] ?? '',
      venue: /(?:^|\/)venue=([^/]+)/.exec(c.file)?.[1] ?? '',
      symbol: /(?:^|\/)symbol=([^/]+)/.exec(c.file)?.[1] ?? '',
      check: 'damaged_file',
      count: 1,
      quarantined: 'moved aside',
      first_example: truncate(`${c.file} ${c.reason}`, 110),
    }));
    const rows = [...damaged, ...r.findings.map((f) => ({
      severity: f.severity,
      dataset: f.dataset,
      venue: f.venue,
      symbol: f.symbol,
      check: f.check,
      count: f.count,
      quarantined: f.quarantined ? 'yes' : 'no',
      first_example: truncate(f.examples[0]?.reason ?? '', 110),
    }))];
    process.stdout.write(rows.length ? formatTable(rows) : '(no findings: every check passed)\n');
    if (!this.quiet) {
      const passed = r.checks.filter((c) => c.enabled && c.count === 0).length;
      process.stderr.write(
        `${r.summary.error} error, ${r.summary.warn} warn, ${r.summary.info} info row(s); ${passed} of ${r.checks.filter((c) => c.enabled).length} checks passed; ` +
          `${r.quarantine.rows} row(s) quarantined; ${r.corrupt_files.length ? `${r.corrupt_files.length} damaged file(s) moved aside; ` : ''}report ${r.report_path}\n`,
      );
    }
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function loadConfig(path: string | undefined): ValidateConfig | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw missingError(`config file ${path} not found`, { hint: 'give --config a JSON file' });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usageError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ValidateConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw usageError(`config file ${path}: ${issues}`, { hint: 'see the README section on validate for the keys and defaults' });
  }
  return parsed.data;
}
