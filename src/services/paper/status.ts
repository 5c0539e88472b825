import { join } from 'node:path';
import { missingError } from '../../domain/errors.js';
import { paperDir, readJsonIf, readSpec, type PaperCheckpoint, type PaperStatus } from './files.js';

export interface StatusResult extends PaperStatus {
  /** the process of the status file is alive (same machine) */
  alive: boolean;
  /** ms since the status file was written */
  status_age_ms: number;
  checkpoint: { journal_entries: number; orders: number; fills: number; written_at: string } | null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `perpkit paper --status RUN`: the last status the run wrote (every flush), read from another shell. */
export function paperStatus(root: string, runId: string, nowMs: number): StatusResult {
  readSpec(root, runId);
  const dir = paperDir(root, runId);
  const st = readJsonIf<PaperStatus>(join(dir, 'status.json'));
  if (!st) throw missingError(`paper run ${runId} has written no status yet`, { hint: 'the first status is written one flush interval after the start' });
  const ck = readJsonIf<PaperCheckpoint>(join(dir, 'checkpoint.json'));
  return {
    ...st,
    alive: st.running && alive(st.pid),
    status_age_ms: nowMs - Date.parse(st.updated_at),
    checkpoint: ck ? { journal_entries: ck.journal_entries, orders: ck.orders, fills: ck.fills, written_at: ck.written_at } : null,
  };
}
