import { Args } from '@oclif/core';
import { PerpkitCommand } from '../../cli/base.js';
import { formatTable } from '../../cli/table.js';
import { checkModelId, decisions, readJson, readManifest, type Decision, type ModelManifest } from '../../services/train/registry.js';

interface Shown {
  manifest: ModelManifest;
  metrics: { windows: Array<Record<string, unknown>>; lift: Array<Record<string, unknown>>; stability: Array<Record<string, unknown>>; importance_kind: string };
  decisions: Decision[];
}

const f4 = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '');

export default class ModelsShow extends PerpkitCommand<Shown> {
  static summary = 'Show one model of the registry: manifest, per-window metrics, lift, importance, retraining decisions.';
  static examples = ['<%= config.bin %> models show logistic-0123456789ab', '<%= config.bin %> models show logistic-0123456789ab --json'];
  static args = { id: Args.string({ description: 'Model id (perpkit models list).', required: true }) };

  protected async execute(): Promise<Shown> {
    const { flags, args } = await this.parse(ModelsShow);
    const root = this.dataDir(flags['data-dir']);
    checkModelId(args.id);
    const manifest = readManifest(root, args.id);
    return {
      manifest,
      metrics: readJson(root, args.id, 'metrics.json'),
      decisions: decisions(root).filter((d) => d.lineage === manifest.lineage && (d.current === args.id || d.candidate === args.id)),
    };
  }

  protected present(r: Shown): void {
    const m = r.manifest;
    const rows = [
      { item: 'id', value: m.id },
      { item: 'kind / target / label', value: `${m.kind} / ${m.target} / ${m.label}` },
      { item: 'status', value: m.status },
      { item: 'lineage / parent', value: `${m.lineage} / ${m.parent ?? '-'}` },
      { item: 'split', value: `${m.split} (${m.segments.join('+')}), ${m.venue} ${m.timeframe} ${m.symbols.join(',')}` },
      { item: 'walk-forward range', value: `${m.range.from} -> ${m.range.to} (${m.windows} windows)` },
      { item: 'deployable model trained on', value: `${m.final_training.from} -> ${m.final_training.to} (${m.final_training.rows} rows)` },
      { item: 'features', value: `${m.features.length} (hash ${m.features_hash}): ${m.features.slice(0, 8).join(', ')}${m.features.length > 8 ? ', ...' : ''}` },
      { item: 'data hash / code version', value: `${m.data_hash} / ${m.code_version.slice(0, 12)}` },
      { item: 'created', value: m.created_at },
    ];
    process.stdout.write(formatTable(rows, ['item', 'value']));
    process.stdout.write('\n');
    process.stdout.write(
      formatTable(
        r.metrics.windows.map((w) => {
          const mo = w['model'] as Record<string, unknown>;
          const b = w['baseline'] as Record<string, unknown>;
          return { window: w['window'] as number, test_from: String(w['test_from']).slice(0, 10), auc: f4(mo['auc']), base_auc: f4(b['auc']), rank_ic: f4(mo['rank_ic']), base_rank_ic: f4(b['rank_ic']), hit: f4(mo['hit_rate']), log_loss: f4(mo['log_loss']) };
        }),
      ),
    );
    process.stdout.write('\n');
    process.stdout.write(formatTable(r.metrics.lift.map((l) => ({ metric: String(l['metric']), mean: f4(l['mean']), t: f4(l['t']), p_value: f4(l['p_value']), significant: l['significant'] ? 'yes' : 'no' }))));
    if (r.decisions.length) {
      process.stdout.write('\n');
      process.stdout.write(formatTable(r.decisions.map((d) => ({ at: d.at, decision: d.decision, current: d.current, candidate: d.candidate ?? '', reason: d.reason }))));
    }
  }
}
