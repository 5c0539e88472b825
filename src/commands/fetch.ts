import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { fromFlag, symbolsFlag, timeframeFlag, toFlag } from '../cli/flags.js';
import { parseDuration, parseInteger, parseList, parseNumber, parseSymbols, parseTimeRange, parseTimeframe } from '../cli/parse.js';
import { SYNTHETIC_DEFAULTS } from '../domain/defaults.js';
import { formatTable } from '../cli/table.js';
import { DEFAULT_SOURCE_DELAYS } from '../domain/config.js';
import { usageError } from '../domain/errors.js';
import { DEFAULT_VENUE_DATASETS, DEFAULT_VENUE_FETCH_CONFIG, VENUE_DATASETS, VENUES, type VenueDataset, type VenueId } from '../domain/venue-config.js';
import { fetchData, type FetchResult } from '../services/fetch.js';
import { fetchVenue, type FetchVenueResult } from '../services/fetch-venue.js';

export default class Fetch extends PerpkitCommand<FetchResult | FetchVenueResult> {
  static summary = 'Load market data into the datasets: the bundled sample, candle and tick files, the synthetic generator, or exchange REST (--venue).';
  static description = `Sources built so far:
  sample  the bundled real sample (Binance USD-M perps BTC/ETH/SOL 15m+1h bars, 1h mark, 8h funding; spot 5m+1h)
  files   Binance candle and funding CSVs in the freqtrade layout (spot/BASE_USDT-TF.csv.gz,
          usdm/BASE_USDT_USDT-TF-futures|mark.csv.gz, usdm/BASE_USDT_USDT-8h-funding_rate.csv.gz);
          Binance raw WebSocket recordings (spot|usdm|cm/<sym>_YYYYMMDD.gz, one "<receive ns> <json>"
          a line: trades, quotes, book snapshot + diffs replayed with update-id checks, gaps as
          book rows of update_type gap; receive clock corrected by +1.28 s, see the README);
          Tardis CSVs (trades, quotes, book_snapshot_N, incremental_book_L2, derivative_ticker),
          recognised by their header
  synthetic  a seeded simulated venue with planted, documented effects (H1-H6) and ground truth:
          perp + spot per base asset (BTC, ETH, SOL, XRP, DOGE): last, mark and index bars,
          funding, open interest, derivative_ticker (predicted funding), instruments, optional
          trades + quotes (--with-ticks); regimes and effects used go to
          <data-dir>/synthetic/ground_truth/<venue>/. --effects none keeps the marginals with no
          effect at all (a tool that finds an edge there fools its user). Same seed and arguments
          give bit-identical files.
  --venue coinbase|coinbase-intx|binance-usdm|binance-spot
          exchange REST through ccxt: bars (last/mark/index), trades, funding, open interest,
          instruments. Coinbase US perps are discovered from product metadata (BTC PERP = BIP,
          contract size 0.01 BTC) and mapped to BTC-PERP with spot reference BTC-USD. Without
          --from each symbol and dataset resumes after its last stored event_time (cron-safe);
          rate-limited to the venue's public limit, retried with backoff, exit 5 when the venue
          stays unavailable (re-run without --from to resume). Base URL override:
          $PERPKIT_VENUE_BASE_URL_<VENUE>; credentials only from the environment.

Rows get event_time (bar close, funding settlement) and available_time = event_time + the source's
publication delay (--bar-delay, --funding-delay). Writes are atomic and idempotent: running the same
import twice leaves the data identical; overlapping imports merge on each dataset's natural key.`;

  static examples = [
    '<%= config.bin %> fetch --source sample',
    '<%= config.bin %> fetch --source files --path ../shared/data/binance-candles --symbols BTC,ETH',
    '<%= config.bin %> fetch --source files --path ./candles --from 2026-03-14 --to 2026-04-01 --json',
    '<%= config.bin %> fetch --source synthetic --symbols BTC,ETH,SOL,XRP,DOGE --from 2025-01-01 --to 2026-01-01 --seed 42',
    '<%= config.bin %> fetch --source synthetic --symbols BTC --from 2025-01-01 --to 2025-01-08 --effects none --with-ticks',
    '<%= config.bin %> fetch --venue coinbase --symbols BTC-PERP,ETH-PERP --datasets instruments,bars,funding,open_interest --timeframe 1m --from 2026-04-01',
    '<%= config.bin %> fetch --venue coinbase --timeframe 1m',
  ];

  static flags = {
    source: Flags.string({
      description: 'Where the data comes from.',
      options: ['sample', 'files', 'synthetic'],
      default: 'sample',
    }),
    path: Flags.string({ description: 'Folder or file to import (with --source files).' }),
    symbols: symbolsFlag('To keep (--source) or fetch (--venue). Default: all (--venue: BTC, ETH, SOL, XRP, DOGE).'),
    from: fromFlag(),
    to: toFlag(),
    'bar-delay': Flags.string({
      description: `Publication delay of a bar after its close, for available_time (default ${DEFAULT_SOURCE_DELAYS.binance_bar_delay_ms}ms).`,
    }),
    'funding-delay': Flags.string({
      description: `Publication delay of a settled funding rate (default ${DEFAULT_SOURCE_DELAYS.binance_funding_delay_ms}ms).`,
    }),
    timeframe: timeframeFlag(`Bar timeframe of --source synthetic (default ${SYNTHETIC_DEFAULTS.timeframe}) or --venue.`),
    seed: Flags.string({ description: `Seed of --source synthetic (0 .. 4294967295; default ${SYNTHETIC_DEFAULTS.seed}); same seed and arguments = identical files.` }),
    effects: Flags.string({
      description: 'Planted effects of --source synthetic: default, none (same marginals, no effect), or a JSON file of overrides.',
      default: 'default',
    }),
    'funding-cadence': Flags.string({
      description: 'Funding of --source synthetic: coinbase (hourly accrual, settled 00:00/12:00 UTC) or binance (every 8 h).',
      options: ['coinbase', 'binance'],
      default: 'coinbase',
    }),
    'with-ticks': Flags.boolean({ description: 'Also generate trades and quotes (--source synthetic; at most 31 days).', default: false }),
    venue: Flags.string({
      description: "Fetch from this venue's REST API (through ccxt) instead of --source. Base URL override: $PERPKIT_VENUE_BASE_URL_<VENUE>.",
      options: [...VENUES],
    }),
    datasets: Flags.string({
      description: `With --venue, comma-separated: ${VENUE_DATASETS.join(',')} (mark/index = bars of that price). Default: ${DEFAULT_VENUE_DATASETS.join(',')}.`,
    }),
    'rate-limit': Flags.string({ description: "With --venue: requests per second (default: the venue's public limit, e.g. 10 for Coinbase)." }),
    'max-retries': Flags.string({ description: 'With --venue: retries of one request on 429/5xx/timeouts before exit 5 (default 5; 0 .. 100).' }),
    'trade-delay': Flags.string({ description: 'With --venue: publication delay of a trade, for available_time (default 1s).' }),
    'oi-delay': Flags.string({ description: 'With --venue: publication delay of Binance open-interest history (default 5m).' }),
  };

  protected async execute(): Promise<FetchResult | FetchVenueResult> {
    const { flags } = await this.parse(Fetch);
    // Every flag is parsed before anything is read or written: a bad value changes nothing.
    const barDelay = parseDuration('bar-delay', flags['bar-delay'], { allowZero: true });
    const fundingDelay = parseDuration('funding-delay', flags['funding-delay'], { allowZero: true });
    const { from, to } = parseTimeRange(flags.from, flags.to);
    const symbols = parseSymbols('symbols', flags.symbols);
    const timeframe = parseTimeframe('timeframe', flags.timeframe);
    const seed = parseInteger('seed', flags.seed, { min: 0, max: 0xffffffff }) ?? SYNTHETIC_DEFAULTS.seed;
    const source = flags.source as 'sample' | 'files' | 'synthetic';
    const venueOnly = (['datasets', 'rate-limit', 'max-retries', 'trade-delay', 'oi-delay'] as const).filter((f) => flags[f] !== undefined);
    if (flags.venue === undefined && venueOnly.length) {
      throw usageError(`--${venueOnly[0]} only applies with --venue (exchange REST), not --source ${source}`, {
        hint: 'add --venue coinbase|coinbase-intx|binance-usdm|binance-spot, or drop the flag',
        details: { flag: venueOnly[0] },
      });
    }
    if (flags.venue === undefined && source !== 'files' && flags.path !== undefined) {
      throw usageError(`--path only applies with --source files, not --source ${source}`, { details: { flag: 'path' } });
    }
    const synOnly = (['timeframe', 'effects', 'funding-cadence', 'seed'] as const).filter((f) => this.argv.includes(`--${f}`) || this.argv.some((a) => a.startsWith(`--${f}=`)));
    if (flags.venue === undefined && source !== 'synthetic' && synOnly.length) {
      throw usageError(`--${synOnly[0]} only applies with --source synthetic${synOnly[0] === 'timeframe' ? ' or --venue' : ''}, not --source ${source}`, {
        details: { flag: synOnly[0] },
      });
    }
    if (flags.venue !== undefined) {
      const notVenue = (['path', 'effects', 'funding-cadence', 'seed', 'with-ticks'] as const).filter((f) => this.argv.includes(`--${f}`) || this.argv.some((a) => a.startsWith(`--${f}=`)));
      if (notVenue.length) throw usageError(`--${notVenue[0]} does not apply with --venue (exchange REST)`, { details: { flag: notVenue[0] } });
    }
    if (flags['with-ticks'] && source !== 'synthetic') throw usageError(`--with-ticks only applies with --source synthetic, not --source ${source}`);
    const root = this.writableDataDir(flags['data-dir']);
    const ctx = await this.context();
    if (flags.venue !== undefined) {
      if (this.argv.includes('--source')) throw usageError('--venue reads from the venue REST API; do not combine it with --source');
      const datasets = parseList(flags.datasets, 'datasets', VENUE_DATASETS) as VenueDataset[] | undefined;
      const rate = parseNumber('rate-limit', flags['rate-limit'], { min: 0, minExclusive: true, max: 1000 });
      const maxRetries = parseInteger('max-retries', flags['max-retries'], { min: 0, max: 100 });
      const tradeDelay = parseDuration('trade-delay', flags['trade-delay'], { allowZero: true });
      const oiDelay = parseDuration('oi-delay', flags['oi-delay'], { allowZero: true });
      return fetchVenue(
        {
          root,
          venue: flags.venue as VenueId,
          ...(symbols ? { symbols } : {}),
          ...(datasets ? { datasets } : {}),
          ...(timeframe ? { timeframe } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          config: {
            ...(rate !== undefined ? { requests_per_second: rate } : {}),
            ...(maxRetries !== undefined ? { retry: { ...DEFAULT_VENUE_FETCH_CONFIG.retry, max_retries: maxRetries } } : {}),
            delays: {
              ...DEFAULT_VENUE_FETCH_CONFIG.delays,
              ...(barDelay !== undefined ? { bars_ms: barDelay } : {}),
              ...(fundingDelay !== undefined ? { funding_ms: fundingDelay } : {}),
              ...(tradeDelay !== undefined ? { trades_ms: tradeDelay } : {}),
              ...(oiDelay !== undefined ? { open_interest_ms: oiDelay } : {}),
            },
          },
        },
        ctx,
      );
    }
    return fetchData(
      {
        root,
        source,
        ...(flags.path !== undefined ? { path: flags.path } : {}),
        ...(symbols ? { symbols } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        synthetic: {
          ...(timeframe !== undefined ? { timeframe } : {}),
          seed,
          effects: flags.effects,
          funding_cadence: flags['funding-cadence'] as 'coinbase' | 'binance',
          with_ticks: flags['with-ticks'],
        },
        delays: {
          binance_bar_delay_ms: barDelay ?? DEFAULT_SOURCE_DELAYS.binance_bar_delay_ms,
          binance_funding_delay_ms: fundingDelay ?? DEFAULT_SOURCE_DELAYS.binance_funding_delay_ms,
        },
      },
      ctx,
    );
  }

  protected present(r: FetchResult | FetchVenueResult): void {
    if (r.source === 'venue') {
      process.stdout.write(
        formatTable(
          r.tasks.map((t) => ({
            symbol: t.symbol,
            dataset: t.dataset,
            timeframe: t.timeframe ?? '',
            status: t.status,
            requests: t.requests,
            rows: t.rows,
            last_event_time: t.last_event_time === null ? '' : new Date(t.last_event_time / 1000).toISOString(),
          })),
        ),
      );
      if (!this.quiet) {
        for (const u of r.unlisted) process.stderr.write(`not listed on ${r.venue}: ${u.symbol} (${u.reason})\n`);
        for (const u of r.unsupported) process.stderr.write(`not published by ${r.venue}: ${u.dataset} for ${u.symbol} (${u.reason})\n`);
        process.stderr.write(
          `fetched from ${r.venue} into ${r.data_dir}: ${r.http.requests} requests (${r.http.retries} retries)${
            r.request_rate_per_s ? `, ${r.request_rate_per_s.toFixed(1)} requests/s` : ''
          } in ${(r.elapsed_ms / 1000).toFixed(1)} s\n`,
        );
      }
      return;
    }
    process.stdout.write(
      formatTable(
        r.writes.map((w) => ({
          dataset: w.dataset,
          rows_in: w.rows_in,
          added: w.rows_added,
          replaced: w.rows_replaced,
          unchanged: w.rows_unchanged,
          partitions_written: w.partitions_written,
          partitions_unchanged: w.partitions_unchanged,
        })),
      ),
    );
    if (!this.quiet) {
      process.stderr.write(`fetched from ${r.source} into ${r.data_dir} in ${(r.elapsed_ms / 1000).toFixed(1)} s\n`);
      if (r.ticks) {
        const lines = r.ticks.files.reduce((a, f) => a + f.lines, 0);
        const gaps = r.ticks.files.reduce((a, f) => a + (f.binance?.gaps.length ?? 0), 0);
        process.stderr.write(
          `tick files: ${r.ticks.files.length} files, ${lines} messages, ${Math.round(r.ticks.messages_per_s)} messages/s read+mapped (${Math.round(r.ticks.messages_per_s_total)}/s with the writes), ${gaps} book sequence gap(s)\n`,
        );
      }
      if (r.synthetic) {
        process.stderr.write(`synthetic: seed ${r.synthetic.seed}, effects ${r.synthetic.effects}; ground truth in ${r.synthetic.ground_truth}\n`);
      }
    }
  }
}
