import { existsSync, readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { parse as parseYaml } from 'yaml';
import { PerpkitCommand } from '../cli/base.js';
import { parseInteger, parseList } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { missingError, usageError } from '../domain/errors.js';
import { REGIME_DIMENSIONS, type ResearchTarget } from '../domain/research.js';
import { runResearch, type ResearchResult } from '../services/research/index.js';
import { parseEvalSegment } from '../services/research/panel.js';

const num = (v: number | null, d: number): number | null => (v === null ? null : Number(v.toFixed(d)));

export default class Research extends PerpkitCommand<ResearchResult> {
  static summary = 'Information coefficients by horizon and regime with overlap-aware statistics, and verdicts on the hypotheses H1-H6.';
  static description = `Per (feature, horizon, target, regime cell) on a segment of a holdout split (or one fold of a walk-forward split, or all its folds' test sides): time-series Spearman IC per asset and pooled, IC IR, hit rate, observations and effective N, Newey-West t and p (lags = 2 x (horizon / bar - 1) by default), Holm and Benjamini-Hochberg adjusted p across every cell of the run, magnitude buckets (edges from the training segment), decay (IC per month, or per fold with folds-test; its trend, sign stability), partial IC after a baseline stack (walk-forward inside the segment) and the seed's viability rule. The target is the label: the perp's forward return, or the perp-minus-spot return over the same window (--target relative; H2, H3 and H5 are judged on it), whose partial IC controls for the basis level. With --hypothesis (default: all), the specs in hypotheses/H*.yaml are judged pass / fail / inconclusive with the numbers behind each criterion.

Writes the research dataset (one row per cell) and the ledger: the run's row and one trial per cell tested. The sealed test segment is read only with --segment test --unseal "<reason>" (recorded in the ledger). How to read the numbers: docs/research.md.`;

  static examples = [
    '<%= config.bin %> research --split demo-1h',
    '<%= config.bin %> research --split demo-1h --hypothesis H1,H2 --horizons 1h,4h --json',
    '<%= config.bin %> research --split demo-1h --family perp_spot --regimes vol,liquidity --segment train+validation',
    '<%= config.bin %> research --split demo-1h --features basis,funding_basis_gap --target both',
    '<%= config.bin %> research --split demo-wf --segment folds-test --hypothesis H1',
  ];

  static flags = {
    split: Flags.string({ description: 'Name of the holdout or walk-forward split to evaluate (perpkit split --name ...).', required: true }),
    features: Flags.string({ description: 'Features to test, comma-separated (instead of --hypothesis).' }),
    family: Flags.string({ description: 'Feature families to test, comma-separated (instead of --hypothesis).' }),
    hypothesis: Flags.string({ description: 'Hypotheses to judge: H1..H6, comma-separated, or all (the default).' }),
    horizons: Flags.string({ description: 'Label horizons (default: those of the specs that the split has; with --features/--family: all of the split).' }),
    target: Flags.string({ description: 'With --features/--family: the label, perp (forward perp return, the default), relative (perp minus spot return over the same window: what basis convergence and lead-lag move) or both, comma-separated. A hypothesis is judged on its spec\'s target.' }),
    segment: Flags.string({ description: 'Segment to evaluate: train, validation, train+validation or test (holdout split), fold-N-test / fold-N-train (one fold of a walk-forward split; its training side fits edges and thresholds), or folds-test (every fold\'s test side of a walk-forward split, each fitted on its own fold\'s training side).', default: 'validation' }),
    regimes: Flags.string({ description: `Regime dimensions: ${REGIME_DIMENSIONS.join(', ')} (default: the specs'; with --features/--family: all).` }),
    'allow-changed': Flags.boolean({ description: 'Read features and labels that changed since the split was written (recorded in the ledger); default: exit 3 naming what changed.', default: false }),
    unseal: Flags.string({ description: 'Reason for reading the sealed test segment (with --segment test); recorded in the ledger.' }),
    config: Flags.string({ description: 'YAML file with research config overrides (fdr, min_obs_per_cell, ic_period, ...; see docs/research.md).' }),
    'no-write': Flags.boolean({ description: 'Do not write the research dataset or the ledger trials.', default: false }),
    workers: Flags.string({ description: 'Worker threads for the cells (default: once rows x features reach 2 M, every core up to 8 that half the free memory holds, about 3.5 KB per row each; 1 below); the numbers are the same for any count.' }),
  };

  protected async execute(): Promise<ResearchResult> {
    const { flags } = await this.parse(Research);
    const root = this.dataDir(flags['data-dir']);
    let config: Record<string, unknown> | undefined;
    if (flags.config) {
      if (!existsSync(flags.config)) throw missingError(`no config file ${flags.config}`);
      try {
        config = (parseYaml(readFileSync(flags.config, 'utf8')) ?? {}) as Record<string, unknown>;
      } catch (err) {
        throw usageError(`${flags.config} is not valid YAML: ${(err as Error).message}`);
      }
    }
    if (flags.unseal !== undefined && flags.segment !== 'test') throw usageError('--unseal is only for --segment test');
    const features = parseList(flags.features);
    const families = parseList(flags.family);
    const hypotheses = parseList(flags.hypothesis);
    const horizons = parseList(flags.horizons);
    const targets = parseList(flags.target)?.flatMap((t) => (t === 'both' ? ['perp', 'relative'] : [t]));
    const regimes = parseList(flags.regimes);
    const workers = parseInteger('workers', flags.workers, { min: 1, max: 64 });
    const ctx = await this.context();
    return runResearch(
      {
        root,
        split: flags.split,
        segment: parseEvalSegment(flags.segment),
        ...(features ? { features } : {}),
        ...(families ? { families } : {}),
        ...(hypotheses ? { hypotheses } : {}),
        ...(horizons ? { horizons } : {}),
        ...(targets ? { targets: targets as ResearchTarget[] } : {}),
        ...(regimes ? { regimes } : {}),
        ...(config ? { config } : {}),
        ...(flags.unseal !== undefined ? { unseal_reason: flags.unseal } : {}),
        ...(flags['allow-changed'] ? { allow_changed: true } : {}),
        write: !flags['no-write'],
        ...(workers !== undefined ? { workers } : {}),
        args: { split: flags.split, segment: flags.segment, features, families, hypotheses, horizons, targets: targets ?? null, regimes, config: flags.config ?? null },
      },
      ctx,
    );
  }

  protected present(r: ResearchResult): void {
    const out: string[] = [];
    if (r.hypotheses.length) {
      out.push(
        formatTable(
          r.hypotheses.map((v) => ({
            hypothesis: v.id,
            verdict: v.verdict,
            target: v.target ?? 'perp',
            best: v.best ? `${v.best.feature} ${v.best.horizon}` : '',
            ic: v.best ? num(v.best.ic, 4) : null,
            t_nw: v.best ? num(v.best.t_nw, 2) : null,
            p_bh: v.best ? num(v.best.p_bh, 4) : null,
            eff_n: v.best && v.best.effective_n !== null ? Math.round(v.best.effective_n) : null,
            checks: v.checks.filter((c) => c.status !== 'info').map((c) => `${c.name}:${c.status}`).join(' '),
          })),
        ),
      );
    }
    for (const v of r.hypotheses) for (const f of v.features_used ?? []) out.push(`${v.id} (spec v${v.version ?? 1}): ${f.reason}`);
    const top = r.cells
      .filter((c) => c.status === 'ok' && c.t_nw !== null)
      .sort((a, b) => Math.abs(b.t_nw ?? 0) - Math.abs(a.t_nw ?? 0))
      .slice(0, 20);
    out.push(
      formatTable(
        top.map((c) => ({
          feature: c.feature,
          horizon: c.horizon,
          ...(Object.keys(r.targets).length > 1 || !r.targets.perp ? { target: c.target } : {}),
          regime: c.regime_dim === 'all' ? 'all' : `${c.regime_dim}=${c.regime_cell}`,
          n: c.n,
          eff_n: c.effective_n === null ? null : Math.round(c.effective_n),
          ic: num(c.ic, 4),
          ic_ir: num(c.ic_ir, 2),
          hit: num(c.hit_rate, 3),
          t_naive: num(c.t_naive, 2),
          t_nw: num(c.t_nw, 2),
          p_holm: num(c.p_holm, 4),
          p_bh: num(c.p_bh, 4),
          ic_trend: num(c.ic_trend, 5),
          viable: c.viable === null ? '' : c.viable ? 'yes' : 'no',
        })),
      ),
    );
    if (!top.length) {
      out.push(
        `no cell has a Newey-West t: too few observations with both the feature and the label (under min_obs_per_cell ${r.config.min_obs_per_cell}; a feature with no values in the segment, e.g. trade flow on data without trades, has none), or nothing to test (a feature constant within each asset); see each cell's n and status with --json`,
      );
    } else out.push(`top ${top.length} cells by |t_nw|; viable: the seed's rule (|IC| > ${r.config.viability.ic}, IC IR > ${r.config.viability.ic_ir}, IC trend > ${r.config.viability.ic_trend}, each in the IC's direction)`);
    if (r.settlement) {
      const pick = ['pre_perp', 'post_perp', 'pre_rel', 'post_rel', 'log_volume_ratio'];
      const rows = r.settlement.rows.filter((x) => pick.includes(x.measure));
      const key = (x: (typeof rows)[number]): string => `${x.kind} ${x.rate_sign}`;
      const groups = [...new Set(rows.map(key))];
      out.push(
        `settlement event study (H6), ${r.settlement.settlements} settlements, ${r.settlement.bar_timeframe} bars, near +-${r.settlement.near_minutes} min; mean returns in bp, log ratios as is (t clustered by event)\n` +
          formatTable(
            groups.map((g) => {
              const row: Record<string, unknown> = { events: g };
              for (const x of rows.filter((y) => key(y) === g)) {
                row[x.measure] = x.mean === null ? '' : `${(x.mean * (x.measure.startsWith('log_') ? 1 : 1e4)).toFixed(x.measure.startsWith('log_') ? 3 : 2)} (${x.t === null ? 'n/a' : x.t.toFixed(1)})`;
              }
              return row;
            }),
          ),
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
    if (!this.quiet) {
      process.stderr.write(
        `run ${r.run_id}: split ${r.split} ${r.segment}, ${r.rows} rows, ${r.cells_total} cells (${r.cells_tested} tested, ${r.cells_insufficient} insufficient); ` +
          `${r.bh_significant} significant after BH at FDR ${r.config.fdr}, ${r.holm_significant} after Holm at ${r.config.fwer}; ` +
          `wrote ${r.rows_written} research rows${r.repeated_look ? '; REPEATED LOOK at the test segment' : ''}\n`,
      );
    }
  }
}
