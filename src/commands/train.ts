import { NotBuiltCommand } from '../cli/not-built.js';

export default class Train extends NotBuiltCommand {
  static summary = "[not built yet] Train the rules and the ML filter on a split's training segment.";
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 0;
}
