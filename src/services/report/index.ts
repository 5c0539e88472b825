/**
 * perpkit report: builds the report document of a backtest, research or optimisation run (or a
 * comparison of backtests), validates it against the `perpkit.report/1` schema and writes it as
 * self-contained HTML, Markdown (SVGs beside it) or JSON.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ServiceContext } from '../../domain/context.js';
import { missingError, usageError } from '../../domain/errors.js';
import { backtestReport, loadBacktest } from './backtest.js';
import { packageVersion, readJson } from './common.js';
import { compareReport } from './compare.js';
import { renderHtml, sectionIds } from './html.js';
import { ledgerSummary } from './ledger.js';
import { renderMarkdown } from './markdown.js';
import { loadOptimize, optimizeReport } from './optimize.js';
import { latestResearchRun, loadResearch, researchReport } from './research.js';
import { ReportSchema, type Report } from './schema.js';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  root: string;
  run?: string;
  research?: string;
  optimize?: string;
  latest?: boolean;
  compare?: string[];
  format: ReportFormat;
  out?: string;
  interactive?: boolean;
}

export interface ReportResult {
  kind: Report['kind'];
  run_id: string;
  format: ReportFormat;
  path: string;
  bytes: number;
  files: string[];
  sections: string[];
  charts: number;
  /** three lines for people (the demo prints them) */
  summary: string[];
}

/** Newest backtest run and optimisation run by their created_at, and the newest research run in the ledger. */
async function latest(ctx: ServiceContext, root: string): Promise<{ kind: 'backtest' | 'research' | 'optimize'; id: string }> {
  const found: Array<{ kind: 'backtest' | 'research' | 'optimize'; id: string; at: string }> = [];
  for (const [kind, sub, file] of [
    ['backtest', 'runs', 'manifest.json'],
    ['optimize', 'optimize', 'summary.json'],
  ] as const) {
    const dir = join(root, sub);
    if (!existsSync(dir)) continue;
    for (const id of readdirSync(dir)) {
      if (id.endsWith('.tmp')) continue;
      const p = join(dir, id, file);
      if (!existsSync(p)) continue;
      const at = readJson<{ created_at?: string }>(p).created_at ?? statSync(p).mtime.toISOString();
      found.push({ kind, id, at });
    }
  }
  const r = await latestResearchRun(ctx, root);
  if (r) found.push({ kind: 'research', id: r.id, at: r.at });
  if (found.length === 0) throw missingError(`no run to report in ${root}`, { hint: 'run "perpkit backtest", "perpkit research" or "perpkit optimize" first' });
  found.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id.localeCompare(b.id)));
  return found[found.length - 1]!;
}

/** Builds the report document (validated against the schema). */
export async function buildReport(o: Omit<ReportOptions, 'format'>, ctx: ServiceContext): Promise<Report> {
  const given = [o.run, o.research, o.optimize, o.latest ? 'latest' : undefined].filter((x) => x !== undefined);
  if (given.length === 0) throw usageError('say which run to report: --run ID, --research ID, --optimize ID or --latest');
  if (given.length > 1) throw usageError('give one of --run, --research, --optimize, --latest');
  let target: { kind: 'backtest' | 'research' | 'optimize'; id: string };
  if (o.run !== undefined) target = { kind: 'backtest', id: o.run };
  else if (o.research !== undefined) target = { kind: 'research', id: o.research };
  else if (o.optimize !== undefined) target = { kind: 'optimize', id: o.optimize };
  else target = await latest(ctx, o.root);
  if (o.compare?.length && target.kind !== 'backtest') throw usageError('--compare works with backtest runs (--run ID --compare ID ...)', { hint: 'compare research or optimisation runs by reporting each' });
  const now = new Date(ctx.clock.now()).toISOString();
  const version = packageVersion();
  let report: Report;
  if (target.kind === 'backtest') {
    const d = await loadBacktest(ctx, o.root, target.id);
    const ledger = await ledgerSummary(ctx, o.root, d.manifest.split);
    if (o.compare?.length) {
      const others = [];
      for (const id of o.compare) {
        if (id === target.id) throw usageError(`--compare ${id} is the run itself`);
        others.push(await loadBacktest(ctx, o.root, id));
      }
      report = compareReport(d, others, ledger, now, version);
    } else report = backtestReport(d, ledger, now, version);
  } else if (target.kind === 'research') {
    const d = await loadResearch(ctx, o.root, target.id);
    const ledger = await ledgerSummary(ctx, o.root, d.split);
    report = researchReport(d, ledger, now, version);
  } else {
    const d = await loadOptimize(ctx, o.root, target.id);
    const ledger = await ledgerSummary(ctx, o.root, null);
    report = optimizeReport(d, ledger, now, version);
  }
  return ReportSchema.parse(report);
}

function chartCount(r: Report): number {
  return r.sections.reduce((n, s) => n + s.blocks.filter((b) => b.type === 'chart').length, 0);
}

/** The three lines the demo prints. */
export function summaryLines(r: Report): string[] {
  const h = r.honesty;
  const p = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  const s = h.sharpe.sharpe === null ? 'n/a' : h.sharpe.sharpe.toFixed(2);
  const fired = h.warnings.filter((w) => w.fired === true).map((w) => w.sign);
  const cls = h.expectations.filter((e) => e.value !== null).map((e) => `${e.metric} ${e.class}`);
  if (r.kind === 'research') {
    const v = r.sections.flatMap((x) => x.blocks).find((b) => b.type === 'table' && b.id === 'verdicts') as { rows: unknown[][] } | undefined;
    const verdicts = (v?.rows ?? []).filter((x) => x[2]).map((x) => `${String(x[0])} ${String(x[2])}`);
    return [r.title, h.notes[0] ?? '', `verdicts: ${verdicts.length ? verdicts.join(', ') : 'none judged'}`];
  }
  return [
    r.title,
    `Sharpe ${s}, PSR ${p(h.sharpe.psr)}, Deflated Sharpe ${p(h.sharpe.dsr)} over ${h.sharpe.trials} ledger trial(s)${h.pbo ? `, PBO ${p(h.pbo.pbo)}` : ''}`,
    `warning signs fired: ${fired.length ? fired.join(', ') : 'none'}; expectations: ${cls.length ? cls.join(', ') : 'n/a'}`,
  ];
}

function atomicWrite(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export async function writeReport(o: ReportOptions, ctx: ServiceContext): Promise<ReportResult> {
  if (!(REPORT_FORMATS as readonly string[]).includes(o.format)) throw usageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got ${JSON.stringify(o.format)}`);
  if (o.interactive && o.format !== 'html') throw usageError('--interactive applies to --format html');
  if (o.out !== undefined) {
    if (o.out.trim() === '') throw usageError('--out must be a file path, got ""');
    const p = resolve(o.out);
    if (existsSync(p) && statSync(p).isDirectory()) throw usageError(`--out ${p} is a folder; give a file path`, { hint: `e.g. --out ${join(p, `report.${o.format}`)}` });
  }
  const report = await buildReport(o, ctx);
  const ext = o.format === 'md' ? 'md' : o.format;
  const path = resolve(o.out ?? join(o.root, 'reports', `${report.kind}-${report.run_card.run_id}.${ext}`));
  const files: string[] = [path];
  let content: string;
  if (o.format === 'json') content = `${JSON.stringify(report, null, 2)}\n`;
  else if (o.format === 'html') content = renderHtml(report, { interactive: o.interactive ?? false });
  else {
    const stem = basename(path, extname(path));
    const md = renderMarkdown(report, stem);
    for (const f of md.files) {
      const fp = join(dirname(path), f.name);
      atomicWrite(fp, f.content);
      files.push(fp);
    }
    content = md.text;
  }
  atomicWrite(path, content);
  ctx.log.info(`report: ${report.kind} ${report.run_card.run_id} -> ${path} (${(Buffer.byteLength(content) / 1024).toFixed(0)} KB)`);
  return {
    kind: report.kind,
    run_id: report.run_card.run_id,
    format: o.format,
    path,
    bytes: Buffer.byteLength(content),
    files,
    sections: sectionIds(report),
    charts: chartCount(report),
    summary: summaryLines(report),
  };
}

export { ReportSchema, REPORT_SCHEMA } from './schema.js';
export type { Report } from './schema.js';
