import { afterEach, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { listValue } from '@duckdb/node-api';
import { join } from 'node:path';
import { DuckSession, quoteIdent } from '../../src/store/duckdb.js';
import { headerList, loadQuery, parseQuery, queriesDir, readQuery, renderQuery, runQuery, runQueryRows, execQuery } from '../../src/store/queries.js';
import { ROOT, tempDir } from '../helpers.js';

/**
 * The DuckDB session and the query loader in-process, no file written: the session's settings (threads, memory
 * limit and temp folder from options, environment or default), the four ways to run SQL with and without
 * parameters, quoteIdent's allow-list at both ends, and the loader's name check, comment and string stripping,
 * header lists and messages.
 */
const sessions: DuckSession[] = [];
const envKeys = ['PERPKIT_DUCKDB_MEMORY_LIMIT', 'PERPKIT_DUCKDB_TEMP_DIR'] as const;
const savedEnv = Object.fromEntries(envKeys.map((k) => [k, process.env[k]]));
afterEach(() => {
  while (sessions.length) sessions.pop()?.close();
  for (const k of envKeys) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});
async function open(options?: Parameters<typeof DuckSession.open>[0]): Promise<DuckSession> {
  const db = await DuckSession.open(options);
  sessions.push(db);
  return db;
}
const setting = async (db: DuckSession, name: string): Promise<string> => String(await db.scalar(`SELECT current_setting($n)::VARCHAR`, { n: name }));

describe('DuckSession', () => {
  it('takes threads and memory limit from its options, else the environment, else 3GB; temp files under the system temp folder', async () => {
    for (const k of envKeys) delete process.env[k];
    const dflt = await open();
    expect(await setting(dflt, 'memory_limit')).toBe('2.7 GiB');
    expect(await setting(dflt, 'temp_directory')).toBe(join(tmpdir(), `perpkit-duckdb-${process.pid}`));
    const own = await open({ threads: 1, memoryLimit: '1GB' });
    expect(await setting(own, 'threads')).toBe('1');
    expect(await setting(own, 'memory_limit')).toBe('953.6 MiB');
    const dir = tempDir();
    process.env['PERPKIT_DUCKDB_MEMORY_LIMIT'] = '2GB';
    process.env['PERPKIT_DUCKDB_TEMP_DIR'] = dir;
    const env = await open();
    expect(await setting(env, 'memory_limit')).toBe('1.8 GiB');
    expect(await setting(env, 'temp_directory')).toBe(dir);
    // '' leaves DuckDB's own default (a share of the machine's memory), not 3GB
    expect(await setting(await open({ memoryLimit: '' }), 'memory_limit')).not.toBe('2.7 GiB');
  });

  it('exec, all, rows and scalar, with and without parameters', async () => {
    const db = await open();
    await db.exec(`CREATE TABLE t AS SELECT range AS i FROM range(3)`);
    await db.exec(`INSERT INTO t VALUES ($v)`, { v: 10 });
    await db.exec(`INSERT INTO t VALUES (11)`, {});
    expect(await db.all(`SELECT i FROM t WHERE i >= $lo ORDER BY i`, { lo: 2 })).toEqual([{ i: '2' }, { i: '10' }, { i: '11' }]);
    expect(await db.all(`SELECT count(*)::INTEGER AS n FROM t`, {})).toEqual([{ n: 5 }]);
    expect(await db.rows(`SELECT i FROM t WHERE i < $hi ORDER BY i`, { hi: 2 })).toEqual([{ i: 0n }, { i: 1n }]);
    expect(await db.rows(`SELECT max(i) AS m FROM t`)).toEqual([{ m: 11n }]);
    expect(await db.scalar(`SELECT i::INTEGER, 'second' FROM t ORDER BY i DESC`)).toBe(11);
    expect(await db.scalar(`SELECT i FROM t WHERE i > $x`, { x: 100 })).toBeUndefined();
  });

  it('quoteIdent takes lower-case names only, whole', () => {
    expect(quoteIdent('a')).toBe('"a"');
    expect(quoteIdent('_x9_y')).toBe('"_x9_y"');
    for (const bad of ['A', '9a', 'a-b', 'a"b', ' a', 'a ', 'a\nb', '', 'ok;drop']) {
      expect(() => quoteIdent(bad)).toThrow(`refusing identifier ${JSON.stringify(bad)}`);
    }
  });
});

describe('the query loader', () => {
  it('finds queries/ next to the package and loads a query by its two-part name only', () => {
    expect(queriesDir()).toBe(join(ROOT, 'queries'));
    expect(loadQuery('store/summary').name).toBe('store/summary');
    for (const bad of ['store', 'store/summary/x', 'Store/summary', '../store/summary', 'store/summary ', ' store/summary']) {
      expect(() => loadQuery(bad)).toThrow(`bad query name ${JSON.stringify(bad)}`);
    }
    expect(() => loadQuery('store/no_such_query')).toThrow(`query store/no_such_query not found at ${join(ROOT, 'queries', 'store', 'no_such_query.sql')}`);
  });

  it('takes parameters from code only (not comments or strings), in order of first use, once each', () => {
    const q = parseQuery('t/q', `-- $c0 header\nSELECT $b, '$s1', 'it''s $s2', $a /* $c1\n $c2 */, $B, $b -- $c3\n FROM x WHERE y = $a_1`);
    expect(q.params).toEqual(['b', 'a', 'B', 'a_1']);
    expect(() => parseQuery('t/q', `  \n SELECT 1`)).toThrow('query t/q must start with a comment describing it');
    expect(parseQuery('t/q', `\n  -- ok\nSELECT 1`).params).toEqual([]);
    // a comment or string between two tokens still separates them
    expect(parseQuery('t/q', `-- x\nSELECT $a/* c */b, $c'text'd`).params).toEqual(['a', 'c']);
  });

  it('reads header lists: trimmed, empty and "-" entries dropped, case-insensitive key, null when absent', () => {
    expect(headerList(`-- x\n--   reads:  a ,b,, - ,c  \nSELECT 1`, 'reads')).toEqual(['a', 'b', 'c']);
    expect(headerList(`-- x\n-- READS: a\nSELECT 1`, 'reads')).toEqual(['a']);
    expect(headerList(`-- x\n-- reads: -\nSELECT 1`, 'reads')).toEqual([]);
    expect(headerList(`-- x\nSELECT 1 -- reads: a`, 'reads')).toBeNull();
    expect(headerList(`-- x\n-- creates: a`, 'reads')).toBeNull();
  });

  it('names every problem of a shape in one message', () => {
    const q = parseQuery('t/q', `-- x\n-- idents: a, b\n-- lists: l\nSELECT {{a}}, {{b}}`);
    expect(() => renderQuery(q, { idents: { c: 'x' }, lists: { m: [] } })).toThrow(
      'query t/q: no identifier for {{a}}, {{b}}; unknown identifiers c; no list for l; unknown lists m',
    );
    expect(renderQuery(q, { idents: { a: 'x', b: ['y', 'z'] }, lists: { l: [] } })).toBe(`-- x\n-- idents: a, b\n-- lists: l\nSELECT "x", "y", "z"`);
    expect(() => parseQuery('t/q', `-- x\n-- idents: a, b\nSELECT {{c}}, {{d}}, {{c}}`)).toThrow(
      'query t/q: placeholders {{c}}, {{d}} are not declared in "-- idents:"; declared idents a, b are not used',
    );
    expect(() => parseQuery('t/q', `-- x\n-- idents: a, b\nSELECT {{a}}`)).toThrow(/^query t\/q: declared idents b are not used$/);
    expect(() => parseQuery('t/q', `-- x\n-- idents: a\nSELECT {{a}}, {{c}}`)).toThrow(/^query t\/q: placeholders \{\{c\}\} are not declared in "-- idents:"$/);
    expect(() => renderQuery(q, { idents: { a: 'x', b: 'y' }, lists: { l: [], m: [], n: [] } })).toThrow(/^query t\/q: unknown lists m, n$/);
  });

  it('runs a repository query four ways, with exactly its parameters', async () => {
    const db = await open();
    await expect(runQuery(db, 'store/summary', {})).rejects.toThrow('query store/summary: missing parameters bars, files');
    await expect(runQuery(db, 'store/summary', { bars: true, files: listValue([]), extra: 3 })).rejects.toThrow('query store/summary: unknown parameters extra');
    await expect(runQuery(db, 'store/summary', { files: listValue([]), x: 1 })).rejects.toThrow('query store/summary: missing parameters bars; unknown parameters x');
    // a small Parquet file, then the summary over it through each runner
    const file = join(tempDir(), 'p.parquet');
    await db.exec(
      `COPY (SELECT 'v' AS venue, 's' AS symbol, TIMESTAMP '2026-01-01 00:00:00' AS event_time, TIMESTAMP '2026-01-01 00:00:02' AS available_time) TO $f (FORMAT parquet)`,
      { f: file },
    );
    const params = { files: listValue([file]), bars: false };
    const [row] = await runQuery(db, 'store/summary', params);
    expect(row).toMatchObject({ venue: 'v', symbol: 's', price: null, rows: '1', max_delay_ms: '2000' });
    const [native] = await runQueryRows(db, 'store/summary', params);
    expect(native?.['rows']).toBe(1n);
    const reader = await readQuery(db, 'store/summary', params);
    expect(reader.getColumnsObjectJS()['venue']).toEqual(['v']);
    // and a query without parameters (identifiers only), by execQuery and readQuery
    await db.exec(`CREATE TEMP TABLE src AS SELECT 42 AS x`);
    await execQuery(db, 'common/copy_table', {}, { idents: { t: 'dst', src: 'src' } });
    expect(await db.scalar(`SELECT x FROM dst`)).toBe(42);
    await readQuery(db, 'common/drop_table', {}, { idents: { t: 'dst' } });
    expect(await db.all(`SELECT table_name FROM duckdb_tables() WHERE table_name = 'dst'`)).toEqual([]);
  });
});
