import { NotBuiltCommand } from '../cli/not-built.js';

export default class Research extends NotBuiltCommand {
  static summary = '[not built yet] Information coefficients by horizon and regime, and the hypothesis tests of the research design.';
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 0;
}
