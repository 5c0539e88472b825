import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { symbolsFlag } from '../cli/flags.js';
import { parseList, parseSymbols } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { summarizeDatasets, type DatasetsResult } from '../services/datasets.js';

export default class Datasets extends PerpkitCommand<DatasetsResult> {
  static summary = 'Summarise what is stored in the data dir: per dataset, venue, symbol and timeframe.';
  static description = `Prints one line per stored series: first and last event_time, rows, partition files, and the
largest publication delay (available_time - event_time). Reads only file listings and Parquet, never changes data.`;
  static aliases = ['ls'];
  static examples = [
    '<%= config.bin %> datasets',
    '<%= config.bin %> datasets --datasets bars --symbols BTC-PERP --json',
  ];

  static flags = {
    datasets: Flags.string({ description: 'Comma-separated datasets to list (bars,funding,...). Default: all.' }),
    venue: Flags.string({ description: 'Comma-separated venues to list. Default: all.' }),
    symbols: symbolsFlag('To list. Default: all.'),
  };

  protected async execute(): Promise<DatasetsResult> {
    const { flags } = await this.parse(Datasets);
    const datasets = parseList(flags.datasets, 'datasets');
    const venue = parseSymbols('venue', flags.venue);
    const symbols = parseSymbols('symbols', flags.symbols);
    return summarizeDatasets(
      {
        root: this.dataDir(flags['data-dir']),
        ...(datasets ? { datasets } : {}),
        ...(venue ? { venue } : {}),
        ...(symbols ? { symbols } : {}),
      },
      await this.context(),
    );
  }

  protected present(r: DatasetsResult): void {
    if (r.datasets.length === 0) {
      process.stderr.write(`no datasets under ${r.data_dir}; run "perpkit fetch --source sample" to load the bundled sample\n`);
      return;
    }
    process.stdout.write(
      formatTable(
        r.datasets.map((d) => ({
          dataset: d.dataset,
          venue: d.venue,
          symbol: d.symbol,
          price: d.price,
          timeframe: d.timeframe,
          first_event_time: d.first_event_time,
          last_event_time: d.last_event_time,
          rows: d.rows,
          files: d.partitions,
          max_delay_ms: d.max_delay_ms,
        })),
      ),
    );
  }
}
