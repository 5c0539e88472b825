import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { appendLedger, ledgerRows, ledgerSpec, sha256 } from '../../src/store/ledger.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

/** The trial ledger in-process: what one entry stores, that entries are only ever added, and the read filters. */
describe('trial ledger', () => {
  it('stores each entry as given (times from the clock, hashes, JSON) and reads them back in time order, filtered', async () => {
    const root = tempDir();
    const t1 = Date.parse('2026-11-22T12:00:00Z');
    const ctx1 = await testContext(t1);
    expect(await ledgerRows(ctx1, root)).toEqual([]);
    await appendLedger(ctx1, root, { kind: 'evaluation', command: 'backtest', args: { a: 1 }, config: { c: 2 }, data_hashes: { bars: 'h1' } });
    const ctx2 = await testContext(t1 + 1500);
    await appendLedger(ctx2, root, { kind: 'unseal', command: 'split', args: ['x'], config: 'text', data_hashes: {}, split_name: 'main', segment: 'test', detail: { why: 'final' } });
    const ctx0 = await testContext(t1 - 1000);
    await appendLedger(ctx0, root, { kind: 'access', command: 'split', args: [], config: {}, data_hashes: {}, split_name: 'other' });

    const all = await ledgerRows(ctx1, root);
    expect(all.map((r) => [r.event_time, r.kind, r.command, r.args, r.split_name, r.segment])).toEqual([
      ['2026-11-22T11:59:59.000000Z', 'access', 'split', '[]', 'other', null],
      ['2026-11-22T12:00:00.000000Z', 'evaluation', 'backtest', '{"a":1}', null, null],
      ['2026-11-22T12:00:01.500000Z', 'unseal', 'split', '["x"]', 'main', 'test'],
    ]);
    expect((await ledgerRows(ctx1, root, { kind: 'unseal' })).map((r) => r.kind)).toEqual(['unseal']);
    expect((await ledgerRows(ctx1, root, { split_name: 'other' })).map((r) => r.kind)).toEqual(['access']);
    expect(await ledgerRows(ctx1, root, { kind: 'evaluation', split_name: 'main' })).toEqual([]);

    const stored = await ctx1.db.all(
      `SELECT kind, source, config_hash, data_hashes, detail, epoch_us(available_time) = epoch_us(event_time) AS avail_eq, epoch_us(ingest_time) = epoch_us(event_time) AS ingest_eq FROM ${SCAN_SQL} ORDER BY event_time`,
      { files: listOf(await datasetFiles(root, ledgerSpec())) },
    );
    const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
    expect(stored).toEqual([
      { kind: 'access', source: 'perpkit', config_hash: hex('{}'), data_hashes: '{}', detail: null, avail_eq: true, ingest_eq: true },
      { kind: 'evaluation', source: 'perpkit', config_hash: hex('{"c":2}'), data_hashes: '{"bars":"h1"}', detail: null, avail_eq: true, ingest_eq: true },
      { kind: 'unseal', source: 'perpkit', config_hash: hex('text'), data_hashes: '{}', detail: '{"why":"final"}', avail_eq: true, ingest_eq: true },
    ]);
  });

  it('sha256 hashes a string as is and anything else as its JSON', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256({ a: 1 })).toBe(createHash('sha256').update('{"a":1}').digest('hex'));
  });
});
