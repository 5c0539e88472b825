import { NotBuiltCommand } from '../cli/not-built.js';

export default class Features extends NotBuiltCommand {
  static summary = 'Compute point-in-time features on a decision grid (ASOF joins on available_time) into the features dataset.';
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 7;
}
