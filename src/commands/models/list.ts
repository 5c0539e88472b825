import { PerpkitCommand } from '../../cli/base.js';
import { formatTable } from '../../cli/table.js';
import { deployments, listModels, type ModelManifest } from '../../services/train/registry.js';

export default class ModelsList extends PerpkitCommand<{ models: Array<ModelManifest & { deployed: boolean }> }> {
  static summary = 'List the models of the registry (<data-dir>/models/).';
  static description = 'One row per stored model: id, kind, target and label, training range, status (trained, deployed, rejected, retired), lineage. See perpkit models show ID.';
  static examples = ['<%= config.bin %> models list', '<%= config.bin %> models list --json'];

  protected async execute(): Promise<{ models: Array<ModelManifest & { deployed: boolean }> }> {
    const { flags } = await this.parse(ModelsList);
    const root = this.dataDir(flags['data-dir']);
    const dep = new Set(Object.values(deployments(root)).map((d) => d.model_id));
    return { models: listModels(root).map((m) => ({ ...m, deployed: dep.has(m.id) })) };
  }

  protected present(r: { models: Array<ModelManifest & { deployed: boolean }> }): void {
    if (r.models.length === 0) {
      process.stderr.write('no models yet; train one with "perpkit train --split NAME"\n');
      return;
    }
    process.stdout.write(
      formatTable(
        r.models.map((m) => ({ id: m.id, kind: m.kind, target: m.target, label: m.label, features: m.features.length, range: `${m.range.from.slice(0, 10)} -> ${m.range.to.slice(0, 10)}`, windows: m.windows, status: m.status, lineage: m.lineage, created: m.created_at })),
      ),
    );
  }
}
