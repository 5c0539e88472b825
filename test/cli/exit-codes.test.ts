/**
 * The exit-code contract (README, ../shared/DESIGN.md) held by a table: one row per (command, bad
 * input, expected exit code). For every row: the exit code, no stack trace and no raw engine
 * message on stderr, stdout empty (or one {"error"} document under --json, with the same code),
 * and every data dir the row names unchanged (treeHash) after the refused command.
 *
 * Speed: the rows run through the built CLI (dist/ via oclif, as bin/run.js does) in a few
 * runner processes side by side (test/cli/fuzz-runner.mjs), so oclif, DuckDB and ccxt load once
 * per process rather than once per row; a sample of rows also runs through bin/run.js itself and
 * must give the same exit code.
 *
 * Rows that fail because of code owned elsewhere carry `knownIssue`: they still run, and the test
 * prints them (and fails if one of them starts passing, so the mark is removed with the fix).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { CANDLES, ROOT, runCli } from '../helpers.js';

interface Row {
  cmd: string;
  /** what is wrong, for the report */
  what: string;
  args: string[];
  code: number;
  /** data dirs (placeholders) whose tree must be unchanged */
  hash?: string[];
  env?: Record<string, string>;
  /** also run it with --json (default: yes) */
  json?: boolean;
  /** needs a read-only data dir: run as an unprivileged user when the tests run as root */
  readOnly?: boolean;
  /** fails today because of code owned by another engineer: what is wrong */
  knownIssue?: string;
  /** stderr must match */
  stderr?: RegExp;
  timeoutMs?: number;
}

interface Result {
  id: number;
  code: number | 'timeout';
  stdout: string;
  stderr: string;
  ms: number;
  changed: string[];
}

const RAW_ENGINE =
  /Binder Error|Parser Error|IO Error|Catalog Error|Conversion Error|Invalid Input Error|INTERNAL Error|Constraint Error|Out of Memory Error|Serialization Error|Dependency Error|Transaction Error|No magic bytes|DuckDB/;
const STACK = /\n\s+at [^\n]*(\(|:\d+:\d+)|at async |TypeError|ReferenceError|RangeError|Cannot read propert|is not a function|undefined is not|ERR_[A-Z_]+|error \(unexpected/;

let T = '';
const P: Record<string, string> = {};
let closedPort = 0;
/** read-only rows left out: running as root with a checkout the unprivileged user cannot read */
let readOnlyUntestable = false;

/** Placeholders in rows: {POP} a small populated data dir, {CORRUPT} the same with broken files... */
function fill(s: string, worker: number): string {
  return s.replace(/\{([A-Z_]+)\}/g, (_, k: string) => {
    if (k === 'POP' || k === 'CORRUPT' || k === 'SCRATCH') return `${P[k]}-${worker}`;
    if (k === 'PORT') return String(closedPort);
    const v = P[k];
    if (v === undefined) throw new Error(`no placeholder ${k}`);
    return v;
  });
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------


const COMMANDS = ['datasets', 'fetch', 'validate', 'features', 'split', 'stats', 'record', 'research', 'train', 'backtest', 'report', 'optimize'];

function rows(): Row[] {
  const r: Row[] = [];
  const add = (cmd: string, what: string, args: string[], code: number, extra: Partial<Row> = {}): void => {
    r.push({ cmd, what, args: [cmd, ...args], code, ...extra });
  };

  // Every command: flags and data dirs that are wrong in the same way everywhere.
  for (const c of COMMANDS) {
    const need = c === 'record' ? ['--venue', 'coinbase', '--symbols', 'BTC', '--duration', '1s', '--url', 'ws://127.0.0.1:{PORT}'] : c === 'stats' ? ['--returns', '{RETURNS}'] : [];
    add(c, 'unknown flag', ['--no-such-flag'], 2);
    add(c, 'unknown flag with a value', ['--no-such-flag=1', ...need], 2);
    add(c, 'unexpected argument', ['surplus-argument', ...need], 2);
    add(c, 'boolean flag given a value', ['--quiet=maybe', ...need], 2);
    add(c, 'empty --data-dir', ['--data-dir', '', ...need], 2, { hash: [] });
    add(c, '--data-dir is a file', ['--data-dir', '{FILE}', ...need], 2, { hash: ['{FILE}'] });
    add(c, '--data-dir under a file', ['--data-dir', '{FILE}/sub', ...need], 2, { hash: ['{FILE}'] });
    add(c, '--data-dir missing its value', [...need, '--data-dir'], 2, { json: false });
  }
  // research and backtest: bad input before any work
  const rs = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('research', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  rs('no split', ['--split', 'nope'], 4);
  rs('bad split name', ['--split', '../x'], 2);
  rs('unknown hypothesis', ['--split', 'nope', '--hypothesis', 'H9'], 2);
  rs('empty --horizons', ['--split', 'nope', '--horizons', ''], 2);
  const bt = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('backtest', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  bt('no split', ['--strategy', 'regime', '--split', 'nope'], 4);
  bt('unknown strategy', ['--strategy', 'astrology', '--split', 'nope'], 2);
  bt('strategy file missing', ['--strategy', './nope.mjs', '--split', 'nope'], 4);

  // datasets
  const ds = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('datasets', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  ds('missing data dir', ['--data-dir', '{EMPTY}'], 4, { hash: ['{EMPTY}'] });
  ds('unknown dataset', ['--datasets', 'nope'], 2);
  ds('empty --datasets', ['--datasets', ''], 2);
  ds('only commas in --datasets', ['--datasets', ',,'], 2);
  ds('empty --symbols', ['--symbols', ''], 2);
  ds('blank --symbols', ['--symbols', ' '], 2);
  ds('path traversal in --symbols', ['--symbols', '../../etc'], 2);
  ds('slash in --symbols', ['--symbols', 'a/b'], 2);
  ds('unknown symbol', ['--symbols', 'NOPE-PERP'], 2);
  ds('unknown venue', ['--venue', 'nowhere'], 2);
  ds('path traversal in --venue', ['--venue', '..'], 2);
  ds('empty --venue', ['--venue', ''], 2);
  ds('corrupt Parquet in the data dir', ['--data-dir', '{CORRUPT}'], 3, { hash: ['{CORRUPT}'], stderr: /part-[89]\.parquet[\s\S]*perpkit validate/ });
  ds('read-only data dir (reading is fine)', ['--data-dir', '{RO}', '--symbols', 'NOPE'], 2, { hash: ['{RO}'], readOnly: true });

  // fetch: shared flags
  const f = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('fetch', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  f('unknown --source', ['--source', 'nowhere'], 2);
  f('empty --source', ['--source', ''], 2);
  for (const [what, v] of [
    ['empty', ''],
    ['only a comma', ','],
    ['blank', '  '],
    ['path traversal', '../../x'],
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['a space inside', 'BTC PERP'],
    ['a glob', 'BTC*'],
    ['a quote', "BTC'--"],
    ['unknown symbol', 'NOPE'],
    ['one unknown among known', 'BTC,NOPE'],
    ['unknown perp', 'DOGE-PERP'],
  ] as const) {
    f(`--symbols ${what} (sample)`, ['--source', 'sample', '--symbols', v], 2);
  }
  for (const [what, v] of [
    ['not a date', 'yesterday'],
    ['empty', ''],
    ['year 1800', '1800-01-01'],
    ['year 2200', '2200-01-01'],
    ['month 13', '2026-13-01'],
    ['day 32', '2026-01-32'],
    ['epoch number', '1710000000'],
    ['garbage suffix', '2026-03-14Tnoon'],
  ] as const) {
    f(`--from ${what}`, ['--source', 'sample', '--from', v], 2);
    f(`--to ${what}`, ['--source', 'sample', '--to', v], 2, { json: false });
  }
  f('--from after --to', ['--source', 'sample', '--from', '2026-03-15', '--to', '2026-03-14'], 2);
  f('--from equal to --to', ['--source', 'sample', '--from', '2026-03-14', '--to', '2026-03-14'], 2);
  f('--from after --to (synthetic)', ['--source', 'synthetic', '--from', '2025-02-01', '--to', '2025-01-01'], 2);
  f('--from after --to (files)', ['--source', 'files', '--path', '{CANDLES}', '--from', '2026-04-01', '--to', '2026-03-01'], 2);
  f('--from after --to (venue)', ['--venue', 'coinbase', '--from', '2026-04-01', '--to', '2026-03-01'], 2);
  for (const [what, v] of [
    ['not a duration', 'soon'],
    ['negative', '-1s'],
    ['no unit', '5'],
    ['unknown unit', '5y'],
    ['empty', ''],
  ] as const) {
    f(`--bar-delay ${what}`, ['--source', 'files', '--path', '{CANDLES}', '--bar-delay', v], 2);
    f(`--funding-delay ${what}`, ['--source', 'files', '--path', '{CANDLES}', '--funding-delay', v], 2, { json: false });
  }
  // fetch --source files
  f('--source files without --path', ['--source', 'files'], 2);
  f('--path that does not exist', ['--source', 'files', '--path', '{T}/no/such/dir'], 4);
  f('--path with --source sample', ['--source', 'sample', '--path', '{CANDLES}'], 2);
  f('--path of an empty folder', ['--source', 'files', '--path', '{EMPTYDIR}'], 4);
  f('--path of an unrecognised file', ['--source', 'files', '--path', '{IN}/notes.txt'], 4);
  f('corrupt .gz candle file', ['--source', 'files', '--path', '{IN}/corruptgz'], 3);
  f('truncated .gz candle file', ['--source', 'files', '--path', '{IN}/truncgz'], 3);
  f('0-byte .gz candle file', ['--source', 'files', '--path', '{IN}/zerogz'], 3);
  f('0-byte CSV candle file', ['--source', 'files', '--path', '{IN}/zerocsv'], 4);
  f('CSV with only a header', ['--source', 'files', '--path', '{IN}/headercsv'], 4);
  f('CSV whose rows all fall outside --from/--to', ['--source', 'files', '--path', '{IN}/headercsv', '--from', '2020-01-01', '--to', '2020-01-02'], 4);
  f('CSV with conflicting duplicate bars', ['--source', 'files', '--path', '{IN}/conflict'], 3, { stderr: /more than once with different values/ });
  f('CSV with a NaN close', ['--source', 'files', '--path', '{IN}/nan'], 3);
  f('CSV with text in a price column', ['--source', 'files', '--path', '{IN}/text'], 3);
  f('CSV with an unparseable date', ['--source', 'files', '--path', '{IN}/baddate'], 3);
  f('CSV with the wrong columns', ['--source', 'files', '--path', '{IN}/wrongcols'], 3);
  f('CSV with a negative volume', ['--source', 'files', '--path', '{IN}/negvol'], 3);
  f('CSV that is binary garbage', ['--source', 'files', '--path', '{IN}/binary'], 3);
  f('corrupt Binance tick recording (.gz)', ['--source', 'files', '--path', '{IN}/tickgz'], 3);
  f('--symbols matching no file', ['--source', 'files', '--path', '{CANDLES}', '--symbols', 'NOPE'], 2);
  f('--symbols with a symbol not in the files', ['--source', 'files', '--path', '{CANDLES}', '--symbols', 'BTC,DOGE'], 2);
  // fetch --source synthetic
  const syn = ['--source', 'synthetic', '--symbols', 'BTC', '--from', '2025-01-01', '--to', '2025-01-02'];
  f('synthetic without --from/--to', ['--source', 'synthetic', '--symbols', 'BTC'], 2);
  f('synthetic without --to', ['--source', 'synthetic', '--from', '2025-01-01'], 2);
  f('synthetic --from 1800', ['--source', 'synthetic', '--symbols', 'BTC', '--from', '1800-01-01', '--to', '1800-01-02'], 2, { stderr: /--from/ });
  f('synthetic before the simulated market starts', ['--source', 'synthetic', '--symbols', 'BTC', '--from', '2024-06-01', '--to', '2024-06-02'], 2, { stderr: /2025-01-01/ });
  f('synthetic after the simulated market ends', ['--source', 'synthetic', '--symbols', 'BTC', '--from', '2040-01-01', '--to', '2040-01-02'], 2);
  for (const tf of ['7m', '', '1H', '0m', '60s', '1w', 'abc', '-1m']) f(`--timeframe ${JSON.stringify(tf)}`, [...syn, `--timeframe=${tf}`], 2);
  f('--timeframe with --source sample', ['--source', 'sample', '--timeframe', '1h'], 2);
  for (const s of ['-1', '1.5', 'abc', '', '4294967296', '0x10', '1e3x']) f(`--seed ${JSON.stringify(s)}`, [...syn, `--seed=${s}`], 2);
  f('--seed with --source sample', ['--source', 'sample', '--seed', '1'], 2);
  f('unknown synthetic base asset', ['--source', 'synthetic', '--symbols', 'NOPE', '--from', '2025-01-01', '--to', '2025-01-02'], 2);
  f('empty synthetic --symbols', ['--source', 'synthetic', '--symbols', '', '--from', '2025-01-01', '--to', '2025-01-02'], 2);
  f('synthetic --from off the bar grid', ['--source', 'synthetic', '--symbols', 'BTC', '--timeframe', '1h', '--from', '2025-01-01T00:30:00Z', '--to', '2025-01-02'], 2);
  f('--effects file missing', [...syn, '--effects', '{T}/no-such.json'], 4);
  f('--effects not JSON', [...syn, '--effects', '{IN}/notes.txt'], 2);
  f('--effects out of range', [...syn, '--effects', '{IN}/effects-bad.json'], 2);
  f('--effects a folder', [...syn, '--effects', '{IN}'], 2);
  f('--funding-cadence unknown', [...syn, '--funding-cadence', 'weekly'], 2);
  f('--with-ticks over 31 days', ['--source', 'synthetic', '--symbols', 'BTC', '--from', '2025-01-01', '--to', '2025-03-01', '--with-ticks'], 2);
  f('--with-ticks with --source sample', ['--source', 'sample', '--with-ticks'], 2);
  // fetch --venue
  const v = ['--venue', 'coinbase', '--symbols', 'BTC'];
  f('unknown --venue', ['--venue', 'nowhere'], 2);
  f('empty --venue', ['--venue', ''], 2);
  f('--venue with --source', [...v, '--source', 'sample'], 2);
  f('--venue with --path', [...v, '--path', '{CANDLES}'], 2);
  f('--venue with --effects', [...v, '--effects', 'none'], 2);
  f('--venue with --with-ticks', [...v, '--with-ticks'], 2);
  f('--venue --timeframe 7m', [...v, '--timeframe', '7m'], 2);
  f('--venue unknown --datasets', [...v, '--datasets', 'nope'], 2);
  f('--venue empty --datasets', [...v, '--datasets', ''], 2);
  f('--datasets without --venue', ['--source', 'sample', '--datasets', 'bars'], 2);
  f('--rate-limit without --venue', ['--source', 'sample', '--rate-limit', '5'], 2);
  for (const x of ['0', '-1', 'abc', '', 'Infinity', '1e9']) f(`--rate-limit ${JSON.stringify(x)}`, [...v, `--rate-limit=${x}`], 2);
  for (const x of ['-1', '1.5', 'abc', '101']) f(`--max-retries ${JSON.stringify(x)}`, [...v, `--max-retries=${x}`], 2);
  f('--trade-delay not a duration', [...v, '--trade-delay', 'x'], 2);
  f('--oi-delay not a duration', [...v, '--oi-delay', '5'], 2);
  f('--venue empty --symbols', ['--venue', 'coinbase', '--symbols', ''], 2);
  f('--venue path traversal in --symbols', ['--venue', 'coinbase', '--symbols', '../x'], 2);
  const down = { PERPKIT_VENUE_BASE_URL_BINANCE_SPOT: 'http://127.0.0.1:{PORT}', PERPKIT_VENUE_BASE_URL_BINANCE_USDM: 'http://127.0.0.1:{PORT}' };
  // Not a refusal: a fetch stopped by the venue keeps what it stored (binance instruments are static
  // facts written first), so these run in a scratch dir and the tree is not compared.
  f('binance-spot unreachable (closed local port)', ['--venue', 'binance-spot', '--symbols', 'BTC', '--max-retries', '0', '--from', '2026-03-14', '--to', '2026-03-15', '--data-dir', '{SCRATCH}'], 5, { env: down, hash: [] });
  f('binance-usdm unreachable (closed local port)', ['--venue', 'binance-usdm', '--symbols', 'BTC', '--max-retries', '0', '--from', '2026-03-14', '--to', '2026-03-15', '--data-dir', '{SCRATCH}'], 5, { env: down, hash: [] });
  // fetch: data dirs
  f('read-only data dir', ['--source', 'sample', '--symbols', 'BTC', '--from', '2026-03-14', '--to', '2026-03-15', '--data-dir', '{RO}'], 2, { hash: ['{RO}'], readOnly: true });
  f('data dir inside a read-only dir', ['--source', 'sample', '--symbols', 'BTC', '--data-dir', '{RO}/sub'], 2, { hash: ['{RO}'], readOnly: true });
  f('data dir is a file (sample)', ['--source', 'sample', '--data-dir', '{FILE}'], 2, { hash: ['{FILE}'] });
  f('data dir is a file (synthetic)', [...syn, '--data-dir', '{FILE}'], 2, { hash: ['{FILE}'] });

  // validate
  const va = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('validate', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  va('missing data dir', ['--data-dir', '{EMPTY}'], 4, { hash: ['{EMPTY}'] });
  va('unknown --fail-on', ['--fail-on', 'fatal'], 2);
  va('unknown dataset', ['--datasets', 'nope'], 2);
  va('empty --datasets', ['--datasets', ''], 2);
  va('empty --symbols', ['--symbols', ''], 2);
  va('path traversal in --symbols', ['--symbols', '../x'], 2);
  va('unknown symbol', ['--symbols', 'NOPE-PERP'], 2);
  va('unknown venue', ['--venue', 'nowhere'], 2);
  va('--config missing', ['--config', '{T}/nope.json'], 4);
  va('--config not JSON', ['--config', '{IN}/notes.txt'], 2);
  va('--config a folder', ['--config', '{IN}'], 2);
  va('--config with a bad threshold', ['--config', '{IN}/validate-bad.json'], 2);
  // item 1 (another engineer) has validate quarantine the file: the tree changes by design.
  // validate on a damaged data dir moves the files aside (by design), which would change the shared
  // {CORRUPT} dirs under the other rows: test/cli/corrupt.test.ts covers it on its own copies.
  va('read-only data dir', ['--data-dir', '{RO}'], 2, { hash: ['{RO}'], readOnly: true });

  // features
  const fe = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('features', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  fe('missing data dir', ['--data-dir', '{EMPTY}'], 4, { hash: ['{EMPTY}'] });
  for (const tf of ['7m', '', 'abc']) fe(`--timeframe ${JSON.stringify(tf)}`, [`--timeframe=${tf}`], 2);
  fe('unknown --set family', ['--set', 'nope'], 2);
  fe('empty --set', ['--set', ''], 2);
  fe('empty --horizons', ['--labels', '--horizons', ''], 2);
  fe('bad --horizons', ['--labels', '--horizons', '7x'], 2);
  fe('zero --horizons', ['--labels', '--horizons', '0h'], 2);
  fe('--from not a date', ['--from', 'yesterday'], 2);
  fe('--from after --to', ['--from', '2026-03-15', '--to', '2026-03-14'], 2);
  fe('--from year 1800', ['--from', '1800-01-01'], 2);
  for (const x of ['0', '-1', 'abc']) fe(`--cutoffs ${x}`, ['--check-leakage', `--cutoffs=${x}`], 2);
  fe('--seed not a number', ['--check-leakage', '--seed', 'abc'], 2);
  fe('--decision-latency not a duration', ['--decision-latency', 'soon'], 2);
  fe('--exec-latency not a duration', ['--labels', '--exec-latency', 'x'], 2);
  for (const x of ['-0.1', 'abc']) fe(`--round-trip-cost ${x}`, ['--labels', `--round-trip-cost=${x}`], 2);
  fe('--round-trip-cost 2 (200 %)', ['--labels', '--round-trip-cost=2'], 2);
  fe('--label-timeframe 7m', ['--labels', '--label-timeframe', '7m'], 2);
  fe('empty --symbols', ['--symbols', ''], 2);
  fe('path traversal in --symbols', ['--symbols', '../x'], 2);
  fe('unknown symbol', ['--symbols', 'NOPE-PERP'], 2);
  fe('unknown venue', ['--venue', 'nowhere'], 4);
  fe('path traversal in --venue', ['--venue', '../x'], 2);
  fe('corrupt Parquet in the data dir', ['--data-dir', '{CORRUPT}'], 3, {
    hash: ['{CORRUPT}'],
  });
  fe('read-only data dir', ['--data-dir', '{RO}'], 2, {
    hash: ['{RO}'],
    readOnly: true,
  });

  // split
  const sp = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('split', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  sp('no --name, --show or --read', [], 2);
  sp('missing data dir', ['--name', 'x', '--data-dir', '{EMPTY}'], 4, { hash: ['{EMPTY}'] });
  sp('no features or labels', ['--name', 'x'], 4);
  sp('unknown --scheme', ['--name', 'x', '--scheme', 'random'], 2);
  for (const x of ['-0.1', 'abc']) sp(`--train ${JSON.stringify(x)}`, ['--name', 'x', `--train=${x}`], 2);
  for (const x of ['1.5', '']) sp(`--train ${JSON.stringify(x)}`, ['--name', 'x', `--train=${x}`], 2);
  sp('--train + --validation > 1', ['--name', 'x', '--train', '0.7', '--validation', '0.5'], 2);
  sp('--validation not a number', ['--name', 'x', '--validation', 'abc'], 2);
  sp('--test 0', ['--name', 'x', '--test', '0'], 2);
  for (const x of ['1', '0', 'abc']) sp(`--groups ${x}`, ['--name', 'x', '--scheme', 'purged-kfold', `--groups=${x}`], 2);
  sp('--test-groups >= --groups', ['--name', 'x', '--scheme', 'cpcv', '--groups', '6', '--test-groups', '6'], 2);
  sp('cpcv with billions of combinations', ['--name', 'x', '--scheme', 'cpcv', '--groups', '40', '--test-groups', '20'], 2, {
    timeoutMs: 5_000,
    json: false,
  });
  sp('--buffer not a duration', ['--name', 'x', '--buffer', 'x'], 2);
  sp('--embargo not a duration', ['--name', 'x', '--scheme', 'purged-kfold', '--embargo', 'x'], 2);
  sp('--step 0d', ['--name', 'x', '--scheme', 'walk-forward', '--step', '0d'], 2);
  sp('--train-window not a duration', ['--name', 'x', '--scheme', 'walk-forward', '--train-window', 'x'], 2);
  sp('unknown --window', ['--name', 'x', '--scheme', 'walk-forward', '--window', 'sliding'], 2);
  sp('--show of a split that does not exist', ['--show', 'nope'], 4);
  sp('--read of a split that does not exist', ['--read', 'nope', '--segment', 'train'], 4);
  sp('--read with an unknown --dataset', ['--read', 'nope', '--segment', 'train', '--dataset', 'bars'], 2);
  sp('path traversal in --name', ['--name', '../../x'], 2);
  sp('slash in --name', ['--name', 'a/b'], 2);
  sp('empty --name', ['--name', ''], 2);
  sp('path traversal in --show', ['--show', '../../etc/passwd'], 2);
  sp('path traversal in --read', ['--read', '../x', '--segment', 'train'], 2);
  sp('--from not a date', ['--name', 'x', '--from', 'yesterday'], 2);
  sp('--from after --to', ['--name', 'x', '--from', '2026-03-15', '--to', '2026-03-14'], 2);
  sp('--timeframe 7m', ['--name', 'x', '--timeframe', '7m'], 2);
  sp('empty --symbols', ['--name', 'x', '--symbols', ''], 2);
  sp('empty --horizons', ['--name', 'x', '--horizons', ''], 2);

  // stats
  const st = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void => add('stats', what, args, code, { hash: ['{IN}'], ...extra });
  const dsr = ['--dsr', '--sharpe', '2.5', '--periods-per-year', '250', '--observations', '1250', '--trials', '100', '--trials-sharpe-variance', '0.5'];
  st('no mode', [], 2);
  st('--returns file missing', ['--returns', '{T}/nope.csv'], 4);
  st('--returns a folder', ['--returns', '{IN}'], 2);
  st('--returns 0-byte CSV', ['--returns', '{IN}/zero.csv'], 3);
  st('--returns 0-byte Parquet', ['--returns', '{IN}/zero.parquet'], 3);
  st('--returns truncated Parquet', ['--returns', '{IN}/trunc.parquet'], 3);
  st('--returns binary garbage', ['--returns', '{IN}/garbage.parquet'], 3);
  st('--returns header only', ['--returns', '{IN}/header-only.csv'], 3);
  st('--returns all NaN', ['--returns', '{IN}/nan-returns.csv'], 3);
  st('--returns no such --column', ['--returns', '{RETURNS}', '--column', 'nope'], 2);
  st('--returns text --column', ['--returns', '{RETURNS}', '--column', 'note'], 2);
  st('--returns no such --time-column', ['--returns', '{RETURNS}', '--time-column', 'nope'], 2);
  st('--returns no such --position-column', ['--returns', '{RETURNS}', '--position-column', 'nope'], 2);
  for (const x of ['1.5', '0', '1', '-0.1', 'abc', '', 'NaN']) st(`--confidence ${JSON.stringify(x)}`, ['--returns', '{RETURNS}', `--confidence=${x}`], 2);
  for (const x of ['1.5', '0', 'NaN']) st(`--confidence ${x} (--dsr)`, [...dsr, `--confidence=${x}`], 2, { json: false });
  for (const x of ['0', '-1', 'abc', 'Infinity', '']) st(`--periods-per-year ${JSON.stringify(x)}`, ['--returns', '{RETURNS}', `--periods-per-year=${x}`], 2);
  for (const x of ['abc', '2', '-3']) st(`--risk-free ${x}`, ['--returns', '{RETURNS}', `--risk-free=${x}`], 2);
  for (const x of ['3', '1', '0', '26', 'abc', '-2']) st(`--blocks ${x}`, ['--pbo', '{PBO}', `--blocks=${x}`], 2);
  st('--blocks with --returns', ['--returns', '{RETURNS}', '--blocks', '4'], 2);
  st('--returns and --pbo together', ['--returns', '{RETURNS}', '--pbo', '{PBO}'], 2);
  st('--pbo file missing', ['--pbo', '{T}/nope.csv'], 4);
  st('--pbo 0-byte file', ['--pbo', '{IN}/zero.csv'], 3);
  st('--pbo one strategy besides its timestamps', ['--pbo', '{IN}/pbo-one.csv'], 2);
  st('--pbo with --confidence', ['--pbo', '{PBO}', '--confidence', '0.9'], 2);
  st('--dsr without --sharpe', ['--dsr', '--periods-per-year', '250'], 2);
  st('--dsr --sharpe not a number', [...dsr.filter((x) => x !== '2.5'), '--sharpe', 'abc'].filter((x, i, a) => !(x === '--sharpe' && a[i + 1] === '--periods-per-year')), 2);
  for (const x of ['1', '0', '1.5', 'abc']) st(`--observations ${x}`, [...dsr.slice(0, 5), `--observations=${x}`, ...dsr.slice(7)], 2);
  for (const x of ['0', '-1', '2.5']) st(`--trials ${x}`, [...dsr.slice(0, 7), `--trials=${x}`, ...dsr.slice(9)], 2);
  st('--trials-sharpe-variance negative', [...dsr.slice(0, 9), '--trials-sharpe-variance=-1'], 2);
  st('--kurtosis below 1', [...dsr, '--kurtosis', '0.5'], 2);
  st('--skew not a number', [...dsr, '--skew', 'abc'], 2);
  st('--returns --dsr without --trials', ['--returns', '{RETURNS}', '--dsr'], 2);
  st('--sharpe without --dsr', ['--returns', '{RETURNS}', '--sharpe', '1'], 2);

  // record (no connection is ever made to anything but 127.0.0.1)
  const rec = ['--venue', 'coinbase', '--symbols', 'BTC', '--url', 'ws://127.0.0.1:{PORT}'];
  const rc = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('record', what, [...args, ...(args.includes('--data-dir') || args.includes('--out-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  rc('no --venue', ['--symbols', 'BTC'], 2);
  rc('no --symbols', ['--venue', 'coinbase'], 2);
  rc('unknown --venue', ['--venue', 'nowhere', '--symbols', 'BTC'], 2);
  for (const [what, s] of [
    ['empty', ''],
    ['a comma', ','],
    ['path traversal', '../x'],
    ['a slash', 'a/b'],
  ] as const) {
    rc(`--symbols ${what}`, ['--venue', 'coinbase', '--symbols', s, '--duration', '1s', '--url', 'ws://127.0.0.1:{PORT}'], 2);
  }
  rc('unknown symbol', ['--venue', 'coinbase', '--symbols', 'NOPE-PERP', '--duration', '1s', '--url', 'ws://127.0.0.1:{PORT}'], 2);
  rc('unknown --channels', [...rec, '--channels', 'nope'], 2);
  rc('empty --channels', [...rec, '--channels', ''], 2);
  rc('intx channel on coinbase', [...rec, '--channels', 'LEVEL1'], 2);
  for (const x of ['0s', 'x', '-1s', '', '5']) rc(`--duration ${JSON.stringify(x)}`, [...rec, `--duration=${x}`], 2);
  rc('--stale-timeout 0s', [...rec, '--stale-timeout', '0s'], 2);
  rc('--flush-interval not a duration', [...rec, '--flush-interval', 'x'], 2);
  for (const x of ['0', 'abc', '1.5', '-5']) rc(`--flush-rows ${x}`, [...rec, `--flush-rows=${x}`], 2);
  rc('--max-buffer-rows 0', [...rec, '--max-buffer-rows', '0'], 2);
  rc('--url not ws', ['--venue', 'coinbase', '--symbols', 'BTC', '--url', 'http://127.0.0.1:1'], 2);
  rc('--url empty', ['--venue', 'coinbase', '--symbols', 'BTC', '--url', ''], 2);
  rc('--symbol-map without =', [...rec, '--symbol-map', 'ETH-PERP'], 2);
  rc('--symbol-map with two =', [...rec, '--symbol-map', 'a=b=c'], 2);
  rc('--out-dir and --data-dir differ', [...rec, '--out-dir', '{T}/a', '--data-dir', '{T}/b'], 2, { hash: [] });
  rc('no network: closed local port', [...rec, '--duration', '1s'], 5, { stderr: /nothing was recorded/ });
  rc('no network: closed local port, --quiet', [...rec, '--duration', '1s', '--quiet'], 5, { json: false });
  rc('coinbase-intx without credentials', ['--venue', 'coinbase-intx', '--symbols', 'BTC-PERP', '--url', 'ws://127.0.0.1:{PORT}', '--duration', '1s'], 2, {
    env: { COINBASE_INTX_API_KEY: '', COINBASE_INTX_API_SECRET: '', COINBASE_INTX_PASSPHRASE: '' },
  });
  rc('read-only data dir', [...rec, '--duration', '1s', '--data-dir', '{RO}'], 2, { hash: ['{RO}'], readOnly: true });

  // optimize: bad input before any work (the populated dir has no split)
  const op = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('optimize', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  op('no --split', [], 2);
  op('--split that does not exist', ['--split', 'nope'], 4);
  op('--split not a name', ['--split', '../x'], 2);
  op('unknown --objective', ['--split', 'nope', '--objective', 'profit'], 2);
  op('unknown --windows', ['--split', 'nope', '--windows', 'sliding'], 2);
  op('unknown --scheme', ['--split', 'nope', '--scheme', 'cpcv'], 2);
  for (const x of ['0/2', '3/2', 'x', '1', '1/0']) op(`--shard ${x}`, ['--split', 'nope', '--shard', x], 2);
  for (const x of ['0', 'abc', '1.5', '-2']) op(`--workers ${x}`, ['--split', 'nope', `--workers=${x}`], 2);
  for (const x of ['soon', '0d', '5', '-3d', '']) op(`--train ${JSON.stringify(x)}`, ['--split', 'nope', `--train=${x}`], 2);
  op('--test not a duration', ['--split', 'nope', '--test', 'x'], 2);
  op('--warmup not a duration', ['--split', 'nope', '--warmup', 'x'], 2);
  op('--grid file missing', ['--split', 'nope', '--grid', '{T}/no-grid.yaml'], 4);
  op('--grid not a mapping', ['--split', 'nope', '--grid', '{IN}/notes.txt'], 2);
  op('signal without --grid', ['--split', 'nope', '--strategy', 'signal'], 2);
  op('unknown --strategy', ['--split', 'nope', '--strategy', 'nope'], 2);
  op('--crisis malformed', ['--split', 'nope', '--crisis', 'crash'], 2);
  op('--run-id not a name', ['--split', 'nope', '--run-id', 'a/b'], 2);
  op('--merge of no run', ['--merge', 'nope'], 4);
  op('--merge with --shard', ['--merge', 'nope', '--shard', '1/2'], 2);

  // report: bad input before anything is written
  const rp = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('report', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  rp('no run named', [], 2);
  rp('two targets', ['--run', 'a', '--research', 'b'], 2);
  rp('missing backtest run', ['--run', '20260101T000000Z-nope'], 4);
  rp('run id with a path', ['--run', '../etc'], 2);
  rp('empty --run', ['--run', ''], 2);
  rp('research id not hex', ['--research', 'zz'], 2);
  rp('missing optimisation run', ['--optimize', '20260101T000000Z-nope'], 4);
  rp('--latest with no runs', ['--latest'], 4);
  rp('unknown --format', ['--run', 'x', '--format', 'pdf'], 2);
  rp('--interactive with markdown', ['--run', 'x', '--format', 'md', '--interactive'], 2);
  rp('--out is a folder', ['--run', 'x', '--out', '{POP}'], 2);
  rp('empty --compare', ['--run', 'x', '--compare', ','], 2);
  rp('--compare with research', ['--research', 'abcdef12', '--compare', 'x'], 2);
  // paper and monitor (issue 20): bad input before any connection or write
  const pp = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('paper', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  const live = ['--strategy', 'signal', '--venue', 'coinbase', '--symbols', 'BTC-USD', '--url', 'ws://127.0.0.1:{PORT}'];
  pp('no --strategy', ['--venue', 'coinbase', '--symbols', 'BTC-USD'], 2);
  pp('no --venue', ['--strategy', 'signal', '--symbols', 'BTC-USD'], 2);
  pp('no --symbols', ['--strategy', 'signal', '--venue', 'coinbase'], 2);
  pp('binance-usdm (no ws adapter)', ['--strategy', 'signal', '--venue', 'binance-usdm', '--symbols', 'BTC-PERP'], 2);
  pp('unknown venue', ['--strategy', 'signal', '--venue', 'kraken', '--symbols', 'BTC-USD'], 2);
  pp('unknown strategy', ['--strategy', 'astrology', '--venue', 'coinbase', '--symbols', 'BTC-USD'], 2);
  pp('signal strategy without a column', live, 2);
  pp('--capital 0', [...live, '--capital', '0'], 2);
  pp('--capital abc', [...live, '--capital', 'abc'], 2);
  pp('--duration 0s', [...live, '--duration', '0s'], 2);
  pp('--bar 7m', [...live, '--bar', '7m'], 2);
  pp('--url not ws', ['--strategy', 'signal', '--venue', 'coinbase', '--symbols', 'BTC-USD', '--url', 'http://x'], 2);
  pp('--run-id traversal', [...live, '--run-id', '../x'], 2);
  pp('--from without --replay', [...live, '--from', '2026-01-01'], 2);
  pp('--status of no run', ['--status', 'nope'], 4);
  pp('--status bad id', ['--status', '../x'], 2);
  pp('--replay of no run', ['--replay', 'nope'], 4);
  pp('--status and --replay', ['--status', 'a', '--replay', 'b'], 2);
  pp('--replay --from after --to', ['--replay', 'nope', '--from', '2026-02-01', '--to', '2026-01-01'], 2);
  pp('--replay --fill-tolerance -1', ['--replay', 'nope', '--fill-tolerance', '-1'], 2);
  const mo = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('monitor', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  mo('no --run', [], 2);
  mo('run not found', ['--run', 'nope'], 4);
  mo('run id traversal', ['--run', '../x'], 2);
  mo('--window 2', ['--run', 'nope', '--window', '2'], 2);
  mo('--min-ic abc', ['--run', 'nope', '--min-ic', 'abc'], 2);
  mo('--max-ic-drop 0', ['--run', 'nope', '--max-ic-drop', '0'], 2);
  mo('--horizon 0', ['--run', 'nope', '--horizon', '0'], 2);

  // train (issue 18): bad input before any work
  const tr = (what: string, args: string[], code: number, extra: Partial<Row> = {}): void =>
    add('train', what, [...args, ...(args.includes('--data-dir') ? [] : ['--data-dir', '{POP}'])], code, { hash: ['{POP}'], ...extra });
  tr('no split', ['--split', 'nope'], 4);
  tr('bad split name', ['--split', '../x'], 2);
  tr('unknown feature', ['--split', 'nope', '--features', 'nope'], 2);
  tr('empty --features', ['--split', 'nope', '--features', ''], 2);
  tr('bad --label', ['--split', 'nope', '--label', 'ret'], 2);
  tr('bad --train', ['--split', 'nope', '--train', 'x'], 2);
  tr('zero --test', ['--split', 'nope', '--test', '0d'], 2);
  tr('negative --l2', ['--split', 'nope', '--l2', '-1'], 2);
  tr('--winsor 0.7', ['--split', 'nope', '--winsor', '0.7'], 2);
  tr('unknown --model', ['--split', 'nope', '--model', 'rf'], 2);
  tr('bad --segment', ['--split', 'nope', '--segment', 'all'], 2);
  tr('--retrain without --model-id', ['--retrain'], 2);
  tr('--model-id without --retrain', ['--split', 'nope', '--model-id', 'logistic-000000000000'], 2);
  tr('unknown model id', ['--retrain', '--model-id', 'logistic-000000000000'], 4);

  // Every row again with --json (unless marked json: false): one {"error"} document on stdout, same code.
  const out: Row[] = [];
  for (const row of r) {
    out.push(row);
    if (row.json !== false && !row.args.includes('--json')) out.push({ ...row, what: `${row.what} (--json)`, args: [...row.args, '--json'] });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

function makeInputs(inDir: string): void {
  const candles = gunzipSync(readFileSync(join(CANDLES, 'spot', 'BTC_USDT-1h.csv.gz'))).toString('utf8').trimEnd().split('\n');
  const head = candles.slice(0, 6);
  const put = (dir: string, name: string, text: string | Buffer): void => {
    mkdirSync(join(inDir, dir), { recursive: true });
    writeFileSync(join(inDir, dir, name), text);
  };
  put('corruptgz', 'BTC_USDT-1h.csv.gz', 'this is not gzip\n');
  const full = gzipSync(candles.join('\n'));
  put('truncgz', 'BTC_USDT-1h.csv.gz', full.subarray(0, Math.floor(full.length / 2)));
  put('zerogz', 'BTC_USDT-1h.csv.gz', '');
  put('zerocsv', 'BTC_USDT-1h.csv', '');
  put('headercsv', 'BTC_USDT-1h.csv', `${candles[0]}\n`);
  put('conflict', 'BTC_USDT-1h.csv', [...head, `${head[2]!.split(',')[0]},1,2,0.5,1.5,3`].join('\n') + '\n');
  put('nan', 'BTC_USDT-1h.csv', [...head.slice(0, 3), head[3]!.replace(/,[^,]*,([^,]*)$/, ',NaN,$1'), ...head.slice(4)].join('\n') + '\n');
  put('text', 'BTC_USDT-1h.csv', [...head.slice(0, 3), head[3]!.replace(/^([^,]*),[^,]*/, '$1,abc'), ...head.slice(4)].join('\n') + '\n');
  put('baddate', 'BTC_USDT-1h.csv', [...head.slice(0, 3), head[3]!.replace(/^[^,]*/, 'not-a-date'), ...head.slice(4)].join('\n') + '\n');
  put('wrongcols', 'BTC_USDT-1h.csv', 'foo,bar\n1,2\n3,4\n');
  put('negvol', 'BTC_USDT-1h.csv', [...head.slice(0, 3), head[3]!.replace(/,[^,]*$/, ',-5'), ...head.slice(4)].join('\n') + '\n');
  put('binary', 'BTC_USDT-1h.csv', Buffer.from([0, 1, 2, 3, 255, 254, 0, 10, 0, 0, 13, 10, 7]));
  put('tickgz/usdm', 'btcusdt_20240808.gz', 'not gzip at all');
  put('.', 'notes.txt', 'not json, not a candle file\n');
  put('.', 'effects-bad.json', JSON.stringify({ lead_lag: { lag_minutes: -5 } }));
  put('.', 'validate-bad.json', JSON.stringify({ gap: { bars: -1 } }));
  // stats inputs
  const n = 200;
  const lines = ['event_time,returns,position,note'];
  for (let i = 0; i < n; i++) lines.push(`${new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()},${(Math.sin(i * 1.7) * 0.01).toFixed(6)},1,x`);
  put('.', 'returns.csv', lines.join('\n') + '\n');
  const p = ['ts,event_time,a,b,c,d'];
  for (let i = 0; i < n; i++) p.push(`${1_767_225_600 + i * 3600},${new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()},${Math.sin(i).toFixed(5)},${Math.cos(i).toFixed(5)},${Math.sin(i * 2).toFixed(5)},${Math.cos(i * 3).toFixed(5)}`);
  put('.', 'pbo.csv', p.join('\n') + '\n');
  const one = ['ts,epoch_ms,a'];
  for (let i = 0; i < n; i++) one.push(`${1_767_225_600 + i * 3600},${(1_767_225_600 + i * 3600) * 1000},${Math.sin(i).toFixed(5)}`);
  put('.', 'pbo-one.csv', one.join('\n') + '\n');
  put('.', 'zero.csv', '');
  put('.', 'zero.parquet', '');
  put('.', 'garbage.parquet', Buffer.from('PAR1 this is not really parquet'));
  put('.', 'header-only.csv', 'event_time,returns\n');
  put('.', 'nan-returns.csv', 'event_time,returns\n2026-01-01T00:00:00Z,NaN\n2026-01-01T01:00:00Z,NaN\n2026-01-01T02:00:00Z,NaN\n');
}

function firstParquet(dir: string): string {
  for (const e of readdirSync(dir, { recursive: true }) as string[]) if (e.endsWith('.parquet') && e.startsWith('bars')) return join(dir, e);
  throw new Error(`no bars Parquet under ${dir}`);
}

async function freePortThatIsClosed(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

type Case = { id: number; args: string[]; env?: Record<string, string>; hash?: string[]; timeoutMs?: number };

/**
 * Runs cases in a fuzz-runner process; a case that does not finish in its time (a loop that
 * ignores timers) gets its runner killed, is recorded as 'timeout', and the rest go to a new one.
 */
async function runWorker(cases: Case[], file: string, asUser: number | null): Promise<Result[]> {
  const results: Result[] = [];
  let left = cases;
  while (left.length) {
    writeFileSync(file, JSON.stringify(left));
    if (asUser !== null) chmodSync(file, 0o644);
    const done = await new Promise<{ results: Result[]; hung: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'test', 'cli', 'fuzz-runner.mjs'), file], {
        cwd: ROOT,
        env: { ...process.env, PERPKIT_DEBUG: '', NO_COLOR: '1', ...(asUser !== null ? { HOME: T, TMPDIR: T } : {}) },
        ...(asUser !== null ? { uid: asUser, gid: asUser } : {}),
      });
      const got: Result[] = [];
      let current: number | null = null;
      let buf = '';
      let err = '';
      let timer: NodeJS.Timeout | undefined;
      let hung: number | null = null;
      const arm = (id: number): void => {
        clearTimeout(timer);
        const c = cases.find((x) => x.id === id);
        timer = setTimeout(() => {
          hung = id;
          child.kill('SIGKILL');
        }, (c?.timeoutMs ?? 30_000) + 5_000);
      };
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (!line.trim()) continue;
          const m = JSON.parse(line) as { start?: number } & Result;
          if (m.start !== undefined) {
            current = m.start;
            arm(m.start);
          } else {
            got.push(m);
            current = null;
            clearTimeout(timer);
          }
        }
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', () => {
        clearTimeout(timer);
        resolve({ results: got, hung: hung ?? current, err });
      });
    });
    results.push(...done.results);
    const finished = new Set(done.results.map((r) => r.id));
    if (done.hung !== null) {
      results.push({ id: done.hung, code: 'timeout', stdout: '', stderr: `no exit within its time limit; runner killed. ${done.err.slice(-500)}`, ms: 0, changed: [] });
      finished.add(done.hung);
    } else if (left.some((c) => !finished.has(c.id))) {
      throw new Error(`fuzz runner stopped early: ${done.err.slice(-2000)}`);
    }
    left = left.filter((c) => !finished.has(c.id));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

const TABLE = rows();
const results = new Map<number, Result>();
const caseArgs = new Map<number, string[]>();
let elapsedMs = 0;

describe('exit-code contract: the fuzz table', () => {
  beforeAll(async () => {
    T = mkdtempSync(join(tmpdir(), 'perpkit-fuzz-'));
    chmodSync(T, 0o755);
    closedPort = await freePortThatIsClosed();
    P['T'] = T;
    P['CANDLES'] = CANDLES;
    P['EMPTY'] = join(T, 'no-data-here');
    P['EMPTYDIR'] = join(T, 'empty-folder');
    mkdirSync(P['EMPTYDIR']);
    P['FILE'] = join(T, 'a-file');
    writeFileSync(P['FILE'], 'I am a file, not a data dir\n');
    P['IN'] = join(T, 'inputs');
    makeInputs(P['IN']);
    P['RETURNS'] = join(P['IN'], 'returns.csv');
    P['PBO'] = join(P['IN'], 'pbo.csv');
    // A small real data dir: the bundled sample's BTC rows of two days.
    const pop = join(T, 'pop');
    const r = (await runCli(['fetch', '--source', 'sample', '--symbols', 'BTC', '--from', '2026-03-14', '--to', '2026-03-16', '--data-dir', pop, '--quiet']));
    expect(r.code, r.stderr).toBe(0);
    P['POP'] = pop;
    const realParquet = firstParquet(pop);
    writeFileSync(join(P['IN'], 'trunc.parquet'), readFileSync(realParquet).subarray(0, Math.floor(statSync(realParquet).size / 2)));
    P['CORRUPT'] = join(T, 'corrupt');
    P['SCRATCH'] = join(T, 'scratch');
    for (const w of [0, 1, 2]) {
      cpSync(pop, `${pop}-${w}`, { recursive: true });
      const c = `${P['CORRUPT']}-${w}`;
      cpSync(pop, c, { recursive: true });
      const good = firstParquet(c);
      writeFileSync(join(good, '..', 'part-9.parquet'), '');
      const trunc = join(good, '..', 'part-8.parquet');
      copyFileSync(good, trunc);
      truncateSync(trunc, Math.floor(statSync(trunc).size / 2));
    }
    // A read-only data dir (as root, the rows that need it run as "nobody", who cannot write it).
    P['RO'] = join(T, 'ro');
    cpSync(pop, P['RO'], { recursive: true });
    const lock = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) lock(p);
        else chmodSync(p, 0o444);
      }
      chmodSync(d, 0o555);
    };
    lock(P['RO']);
    chmodSync(P['IN'], 0o755);

    const started = Date.now();
    const root = process.getuid?.() === 0;
    // As root the read-only rows run as "nobody"; that user must be able to read this checkout (a
    // clone inside a private 0700 folder is not): otherwise they cannot be tested here, and say so.
    const runner = join(ROOT, 'test', 'cli', 'fuzz-runner.mjs');
    readOnlyUntestable =
      root && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(runner)})`], { uid: 65534, gid: 65534, cwd: '/' }).status !== 0;
    const buckets: Case[][] = [[], [], []];
    TABLE.forEach((row, id) => {
      if (row.readOnly && readOnlyUntestable) return;
      const worker = row.readOnly ? 2 : id % 2;
      const args = row.args.map((a) => fill(a, worker));
      caseArgs.set(id, args);
      buckets[worker]!.push({
        id,
        args,
        ...(row.env ? { env: Object.fromEntries(Object.entries(row.env).map(([k, v]) => [k, fill(v, worker)])) } : {}),
        hash: (row.hash ?? []).map((h) => fill(h, worker)),
        timeoutMs: row.timeoutMs ?? 30_000,
      });
    });
    const all = await Promise.all(
      buckets.map((b, w) => (b.length ? runWorker(b, join(T, `cases-${w}.json`), w === 2 && root ? 65534 : null) : Promise.resolve([]))),
    );
    for (const r of all.flat()) results.set(r.id, r);
    elapsedMs = Date.now() - started;
  }, 600_000);

  afterAll(() => {
    if (!T) return;
    const unlock = (d: string): void => {
      if (!existsSync(d)) return;
      chmodSync(d, 0o755);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) unlock(join(d, e.name));
    };
    unlock(join(T, 'ro'));
    rmSync(T, { recursive: true, force: true });
  });

  it(`has over 300 rows covering every command`, async () => {
    expect(TABLE.length).toBeGreaterThan(300);
    for (const c of COMMANDS) expect(TABLE.filter((r) => r.cmd === c).length, c).toBeGreaterThan(5);
  });

  it('every row: the expected exit code, a clean message, nothing changed', async () => {
    const failures: string[] = [];
    const known: string[] = [];
    const fixed: string[] = [];
    TABLE.forEach((row, id) => {
      if (row.readOnly && readOnlyUntestable) return;
      const res = results.get(id);
      const label = `${row.cmd}: ${row.what} [perpkit ${(caseArgs.get(id) ?? row.args).map((a) => (/^[\w./:=,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}]`;
      const problems: string[] = [];
      if (!res) problems.push('did not run');
      else {
        if (res.code !== row.code) problems.push(`exit ${res.code}, expected ${row.code}`);
        if (STACK.test(res.stderr) || STACK.test(res.stdout)) problems.push(`stack trace or unexpected error: ${res.stderr.slice(0, 300)}`);
        if (RAW_ENGINE.test(res.stderr) || RAW_ENGINE.test(res.stdout)) problems.push(`raw engine message: ${(res.stderr + res.stdout).slice(0, 300)}`);
        if (res.changed.length) problems.push(`changed ${res.changed.join(', ')}`);
        if (row.code !== 0 && res.code !== 0) {
          if (row.args.includes('--json')) {
            try {
              const doc = JSON.parse(res.stdout) as { error?: { code?: number; message?: string } };
              if (typeof res.code === 'number' && doc.error?.code !== res.code && res.code !== 2) problems.push(`JSON error code ${doc.error?.code} != exit ${res.code}`);
              if (!doc.error?.message) problems.push('JSON error without a message');
            } catch {
              // oclif refuses some argv before perpkit sees it (e.g. an unknown command): then stderr has the message.
              if (res.stdout.trim() !== '') problems.push(`stdout is not one JSON document: ${res.stdout.slice(0, 200)}`);
            }
          } else if (res.stdout.trim() !== '') problems.push(`stdout not empty on failure: ${res.stdout.slice(0, 200)}`);
          if (!row.args.includes('--json') && res.stderr.trim() === '') problems.push('no message on stderr');
        }
        if (row.stderr && !row.stderr.test(res.stderr + res.stdout)) problems.push(`message does not match ${row.stderr}: ${(res.stderr + res.stdout).slice(0, 300)}`);
      }
      if (row.knownIssue) {
        if (problems.length) known.push(`${label}\n    known issue: ${row.knownIssue}\n    now: ${problems.join('; ')}`);
        else fixed.push(`${label}: passes now; remove its knownIssue mark`);
      } else if (problems.length) failures.push(`${label}\n    ${problems.join('\n    ')}`);
    });
    const ms = [...results.values()].map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `fuzz table: ${TABLE.length} rows (${TABLE.filter((r) => r.knownIssue).length} marked known issues${readOnlyUntestable ? `; ${TABLE.filter((r) => r.readOnly).length} read-only rows left out: as root, the unprivileged user cannot read this checkout` : ""}) in ${(elapsedMs / 1000).toFixed(1)} s; ` +
        `median row ${ms[Math.floor(ms.length / 2)]} ms, slowest ${ms.at(-1)} ms`,
    );
    if (known.length) console.log(`known issues (code owned elsewhere), ${known.length} rows:\n  ${known.join('\n  ')}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(fixed, fixed.join('\n')).toEqual([]);
  });

  it('bin/run.js itself gives the same exit codes as the runner (a sample of rows)', async () => {
    // Rows that fail fast, one in 40, so this stays a few seconds.
    const picks = TABLE.map((row, id) => ({ row, id })).filter(({ row, id }) => !row.readOnly && !row.env && (results.get(id)?.ms ?? 1e9) < 200 && id % 80 === 0);
    expect(picks.length).toBeGreaterThan(5);
    const spawnOne = (args: string[]): Promise<number | null> =>
      new Promise((res) => {
        const env: Record<string, string | undefined> = { ...process.env };
        delete env['PERPKIT_DATA_DIR'];
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: ROOT, env, stdio: 'ignore' });
        child.on('close', (code) => res(code));
      });
    const mismatches: string[] = [];
    // Two at a time: the machine is shared.
    for (let i = 0; i < picks.length; i += 2) {
      const batch = picks.slice(i, i + 2);
      const codes = await Promise.all(batch.map(({ id }) => spawnOne(caseArgs.get(id)!)));
      batch.forEach(({ id, row }, j) => {
        if (codes[j] !== results.get(id)?.code) mismatches.push(`${row.cmd}: ${row.what}: bin/run.js ${codes[j]}, runner ${results.get(id)?.code}`);
      });
    }
    expect(mismatches).toEqual([]);
  }, 300_000);
});
