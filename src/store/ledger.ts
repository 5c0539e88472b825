import { createHash } from 'node:crypto';
import type { ServiceContext } from '../domain/context.js';
import type { DatasetName, DatasetSpec } from '../domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL, writeRows } from './dataset.js';

/**
 * The trial ledger: an append-only dataset with one row per evaluation or data access (every
 * backtest, every evaluation, every unsealing of a test segment), so that Deflated Sharpe and PBO
 * can count every trial ever run and repeated looks at a sealed test set are reported.
 * Rows are never replaced: each has its own time, arguments, split and segment.
 */
export function ledgerSpec(): DatasetSpec {
  return {
    name: 'ledger' as DatasetName,
    doc: 'append-only trial ledger: evaluations and accesses',
    partitionKeys: [],
    timeKey: 'month',
    columns: [
      { name: 'event_time', type: 'TIMESTAMP', nullable: false, doc: 'when the evaluation or access happened, UTC' },
      { name: 'available_time', type: 'TIMESTAMP', nullable: false, doc: 'equal to event_time' },
      { name: 'source', type: 'VARCHAR', nullable: false, doc: 'perpkit and its version' },
      { name: 'ingest_time', type: 'TIMESTAMP', nullable: false, doc: 'when the row was written, UTC' },
      { name: 'kind', type: 'VARCHAR', nullable: false, doc: 'evaluation, access or unseal' },
      { name: 'command', type: 'VARCHAR', nullable: false, doc: 'the perpkit command, e.g. split' },
      { name: 'args', type: 'VARCHAR', nullable: false, doc: 'the arguments, JSON' },
      { name: 'config_hash', type: 'VARCHAR', nullable: false, doc: 'sha256 of the resolved configuration' },
      { name: 'data_hashes', type: 'VARCHAR', nullable: false, doc: 'content hashes of the data read, JSON {dataset: hash}' },
      { name: 'split_name', type: 'VARCHAR', nullable: true, doc: 'the split read, if any' },
      { name: 'segment', type: 'VARCHAR', nullable: true, doc: 'the segment or fold read, if any' },
      { name: 'detail', type: 'VARCHAR', nullable: true, doc: 'anything else, JSON' },
    ],
    // the split and segment are part of a row's identity: one run's reads record one access row per
    // segment of changed data they read, possibly within the same millisecond
    naturalKey: ['event_time', 'kind', 'command', 'args', 'split_name', 'segment'],
  };
}

export interface LedgerEntry {
  kind: 'evaluation' | 'access' | 'unseal';
  command: string;
  args: unknown;
  config: unknown;
  data_hashes: Record<string, string>;
  split_name?: string;
  segment?: string;
  detail?: unknown;
}

export const sha256 = (x: unknown): string => createHash('sha256').update(typeof x === 'string' ? x : JSON.stringify(x)).digest('hex');

export async function appendLedger(ctx: ServiceContext, root: string, e: LedgerEntry): Promise<void> {
  const now = ctx.clock.now() * 1000;
  await writeRows(ctx, { root, spec: ledgerSpec() }, [
    {
      event_time: now,
      available_time: now,
      source: 'perpkit',
      ingest_time: now,
      kind: e.kind,
      command: e.command,
      args: JSON.stringify(e.args),
      config_hash: sha256(e.config),
      data_hashes: JSON.stringify(e.data_hashes),
      split_name: e.split_name ?? null,
      segment: e.segment ?? null,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    },
  ]);
}

export interface LedgerRow {
  event_time: string;
  kind: string;
  command: string;
  args: string;
  split_name: string | null;
  segment: string | null;
}

export async function ledgerRows(ctx: ServiceContext, root: string, filter: { kind?: string; split_name?: string } = {}): Promise<LedgerRow[]> {
  const files = await datasetFiles(root, ledgerSpec());
  if (files.length === 0) return [];
  const rows = await ctx.db.all(
    `SELECT strftime(event_time, '%Y-%m-%dT%H:%M:%S.%fZ') AS event_time, kind, command, args, split_name, segment FROM ${SCAN_SQL}
     WHERE ($kind IS NULL OR kind = $kind) AND ($split IS NULL OR split_name = $split)
     ORDER BY event_time, kind, command, split_name, segment, args`,
    { files: listOf(files), kind: filter.kind ?? null, split: filter.split_name ?? null },
  );
  return rows as unknown as LedgerRow[];
}

