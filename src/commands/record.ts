import { NotBuiltCommand } from '../cli/not-built.js';

export default class Record extends NotBuiltCommand {
  static summary = 'Record live WebSocket data (trades, quotes, book, ticker) with receive-time stamps into the raw datasets.';
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 4;
}
