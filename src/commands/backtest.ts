import { NotBuiltCommand } from '../cli/not-built.js';

export default class Backtest extends NotBuiltCommand {
  static summary = '[not built yet] Event-driven backtest with latency, fee tiers, slippage, funding cash flows, margin and liquidation.';
  static description = 'Status: not built yet. Running it prints what is missing and exits 2; it changes no data.';
  static issue = 0;
}
