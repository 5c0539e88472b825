import { NotBuiltCommand } from '../cli/not-built.js';

export default class Validate extends NotBuiltCommand {
  static summary = 'Run data-quality checks over the datasets, write a quality report and a quarantine; exit 3 on violations.';
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 6;
}
