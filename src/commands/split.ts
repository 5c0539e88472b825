import { NotBuiltCommand } from '../cli/not-built.js';

export default class Split extends NotBuiltCommand {
  static summary = 'Write chronological splits (holdout with buffers, walk-forward, purged k-fold, CPCV) with a sealed test set.';
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 8;
}
