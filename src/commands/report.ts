import { NotBuiltCommand } from '../cli/not-built.js';

export default class Report extends NotBuiltCommand {
  static summary = "[not built yet] Render a run's metrics, trades and equity as HTML, Markdown or JSON.";
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 0;
}
