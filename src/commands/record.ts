import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { symbolsFlag } from '../cli/flags.js';
import { parseDuration, parseInteger, parseList, parseSymbols } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { interruptedError, usageError } from '../domain/errors.js';
import { record, RECORD_DEFAULTS, type RecordResult } from '../services/record.js';
import { FEEDS, type FeedVenue } from '../sources/ws/protocol.js';

export default class RecordCommand extends PerpkitCommand<RecordResult> {
  // On a signal everything buffered is flushed; a flush of a busy day can take a while.
  static interruptGraceMs = RECORD_DEFAULTS.interrupt_grace_ms;
  static summary = 'Record live WebSocket data (trades, quotes, book, ticker) with receive-time stamps into the raw datasets.';
  static description = `Venues:
  coinbase        Coinbase Advanced Trade (public): channels ticker -> quotes, level2 -> book (snapshot +
                  diffs), market_trades -> trades; heartbeats always subscribed. Symbols: BTC-PERP (the
                  perp-style future, product BIP-20DEC30-CDE; others via --symbol-map), spot BTC-USD, or a
                  base asset (BTC = BTC-PERP and BTC-USD).
  coinbase-intx   Coinbase International: LEVEL1 -> quotes, LEVEL2 -> book, MATCH -> trades, FUNDING ->
                  derivative_ticker (predicted) / funding (settled), RISK -> derivative_ticker (mark,
                  index, open interest). Needs COINBASE_INTX_API_KEY, COINBASE_INTX_API_SECRET,
                  COINBASE_INTX_PASSPHRASE in the environment (signed subscription).

Every row has event_time = the venue's time and available_time = the local receive time, read when
the frame arrived (never changed later). Rows are written in batches (one atomic write per dataset)
every --flush-interval or --flush-rows rows, into the normal datasets under --data-dir (--out-dir is
the same flag). A connection with no frame for --stale-timeout is dropped and renewed (backoff with
jitter, resubscribe); a sequence-number gap or a lost connection writes book rows of update_type gap
and the book restarts from a fresh snapshot. Past --max-buffer-rows buffered rows the socket is not
read until the writer catches up (nothing is dropped). Ctrl-C / SIGTERM: everything received is
written, then exit 130; --duration ends the recording normally (exit 0).`;

  static examples = [
    '<%= config.bin %> record --venue coinbase --symbols BTC,ETH-USD --channels ticker,level2,market_trades',
    '<%= config.bin %> record --venue coinbase-intx --symbols BTC-PERP,ETH-PERP --out-dir /data/pk --duration 1h',
  ];

  static flags = {
    venue: Flags.string({ description: 'Venue feed to record.', options: Object.keys(FEEDS), required: true }),
    symbols: symbolsFlag('To record (spot: BTC-USD).', { required: true }),
    channels: Flags.string({
      description: `Comma-separated channels. coinbase: ${FEEDS.coinbase.channels.join(',')} (default ${FEEDS.coinbase.defaultChannels.join(',')}); coinbase-intx: ${FEEDS['coinbase-intx'].channels.join(',')} (default all).`,
    }),
    'out-dir': Flags.string({ description: 'Same as --data-dir: the data dir the recording is written into.' }),
    'symbol-map': Flags.string({ description: 'Extra symbol=product-id pairs, e.g. ETH-PERP=ETP-20DEC30-CDE.' }),
    url: Flags.string({ description: 'WebSocket URL (default: the venue production feed; for proxies and tests). Env: PERPKIT_WS_URL_<VENUE>.' }),
    'stale-timeout': Flags.string({ description: `Reconnect when no frame arrives for this long (default ${RECORD_DEFAULTS.stale_ms / 1000}s).` }),
    'flush-interval': Flags.string({ description: `Write buffered rows at least this often (default ${RECORD_DEFAULTS.flush_ms / 1000}s).` }),
    'flush-rows': Flags.string({ description: `Write as soon as this many rows are buffered (default ${RECORD_DEFAULTS.flush_rows}; an integer >= 1).` }),
    'max-buffer-rows': Flags.string({
      description: `Stop reading the socket while this many rows wait for the writer (default ${RECORD_DEFAULTS.max_buffer_rows}; an integer >= 1).`,
    }),
    duration: Flags.string({ description: 'Stop after this long (e.g. 30m, 1h) and exit 0. Default: until Ctrl-C / SIGTERM.' }),
  };

  protected async execute(): Promise<RecordResult> {
    const { flags } = await this.parse(RecordCommand);
    if (flags['out-dir'] !== undefined && flags['data-dir'] !== undefined && flags['out-dir'] !== flags['data-dir']) {
      throw usageError('--out-dir and --data-dir are the same flag; give one');
    }
    const venue = flags.venue as FeedVenue;
    const symbols = parseSymbols('symbols', flags.symbols) ?? [];
    const channels = parseList(flags.channels, 'channels', FEEDS[venue].channels);
    const symbolMap: Record<string, string> = {};
    for (const pair of parseList(flags['symbol-map'], 'symbol-map') ?? []) {
      const [k, v, ...rest] = pair.split('=');
      if (!k || !v || rest.length) throw usageError(`--symbol-map must be symbol=product-id pairs such as ETH-PERP=ETP-20DEC30-CDE, got ${JSON.stringify(pair)}`, { details: { flag: 'symbol-map', value: pair } });
      symbolMap[k] = v;
    }
    const envUrl = process.env[`PERPKIT_WS_URL_${venue.toUpperCase().replace(/-/g, '_')}`];
    const url = flags.url ?? (envUrl && envUrl.length ? envUrl : undefined);
    if (url !== undefined && !/^wss?:\/\/[^\s/]+/.test(url)) throw usageError(`--url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`, { details: { flag: 'url', value: url } });
    const staleMs = parseDuration('stale-timeout', flags['stale-timeout']);
    const flushMs = parseDuration('flush-interval', flags['flush-interval']);
    const durationMs = parseDuration('duration', flags.duration);
    const flushRows = parseInteger('flush-rows', flags['flush-rows'], { min: 1 });
    const maxBufferRows = parseInteger('max-buffer-rows', flags['max-buffer-rows'], { min: 1 });
    const root = this.writableDataDir(flags['out-dir'] ?? flags['data-dir']);
    const ctx = await this.context();
    const r = await record(
      {
        root,
        venue,
        symbols,
        ...(channels !== undefined ? { channels } : {}),
        symbol_map: symbolMap,
        ...(url !== undefined ? { url } : {}),
        ...(staleMs !== undefined ? { stale_ms: staleMs } : {}),
        ...(flushMs !== undefined ? { flush_ms: flushMs } : {}),
        ...(flushRows !== undefined ? { flush_rows: flushRows } : {}),
        ...(maxBufferRows !== undefined ? { max_buffer_rows: maxBufferRows } : {}),
        ...(durationMs !== undefined ? { duration_ms: durationMs } : {}),
      },
      ctx,
    );
    if (r.stopped_by === 'signal') {
      if (!this.quiet) process.stderr.write(summary(r));
      const e = interruptedError(`recording interrupted; everything received was written (${r.messages} messages, ${totalRows(r)} rows)`);
      Object.assign(e, { details: summaryDetails(r) });
      throw e;
    }
    return r;
  }

  protected present(r: RecordResult): void {
    process.stdout.write(formatTable(Object.entries(r.rows).map(([dataset, rows]) => ({ dataset, rows: rows ?? 0 }))));
    if (!this.quiet) process.stderr.write(summary(r));
  }
}

const totalRows = (r: RecordResult): number => Object.values(r.rows).reduce((a: number, b) => a + (b ?? 0), 0);

function summaryDetails(r: RecordResult): Record<string, unknown> {
  const { writes: _writes, ...rest } = r;
  return rest;
}

function summary(r: RecordResult): string {
  return `recorded ${r.venue} into ${r.data_dir}: ${r.messages} messages (${r.heartbeats} heartbeats, ${r.malformed} malformed) in ${(r.elapsed_ms / 1000).toFixed(1)} s, ${Math.round(r.messages_per_s)}/s; ${totalRows(r)} rows in ${r.flushes} flushes; ${r.connects} connection(s), ${r.gaps.length} book gap(s), ${r.duplicate_trades} re-sent trade(s) dropped\n`;
}
