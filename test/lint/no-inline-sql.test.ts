import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Issue 13, section 2: no SQL string outside queries/ except what the runner itself needs. This
 * test scans every TypeScript file of src/ but the store (src/store: the runner, the dataset write
 * path and the read side build their SQL from dataset specs) and fails when a string or template
 * literal holds SQL: a statement keyword at the start of the literal or of a statement inside it,
 * or a clause of a query (FROM x, WHERE, JOIN, read_parquet(...)). Command examples
 * (`<%= config.bin %> sql "SELECT ..."`) are the user's SQL in help text, not ours.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const walk = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : [],
  );
const FILES = walk('src').filter((f) => !f.startsWith('src/store/'));

/** A statement keyword in capitals at the start of the text or after a `;`. */
const STATEMENT = /(^|;)\s*(SELECT|INSERT|CREATE|COPY|WITH|DELETE|UPDATE|ATTACH|DETACH|PRAGMA|SET|DROP|ALTER|DESCRIBE|INSTALL|LOAD|EXPORT|IMPORT)\s/;
/** A statement in any case, recognised by its shape (a message may start with "with" or "set"). */
const STATEMENT_ANY_CASE =
  /(^|;)\s*(select\s[\s\S]*\sfrom\s|insert\s+into\s|create\s+(or\s+replace\s+)?(temp\s+|temporary\s+)?(table|view)\s|copy\s*\(|delete\s+from\s|update\s+\S+\s+set\s|drop\s+(table|view)\s|with\s+\w+\s+as\s*\(|attach\s+'|pragma\s)/i;
/** Clauses of a query written in capitals anywhere in the text (messages do not shout SQL). */
const CLAUSE = /\b(FROM\s+[\w"($]|WHERE\s|(LEFT |INNER |FULL |ASOF )?JOIN\s|GROUP BY|ORDER BY|UNION ALL|CASE WHEN|QUALIFY\s)|\(\s*SELECT\s|\bread_parquet\s*\(/;

export function looksLikeSql(text: string): boolean {
  return STATEMENT.test(text) || STATEMENT_ANY_CASE.test(text) || CLAUSE.test(text);
}

export interface Found {
  line: number;
  text: string;
}

/** Every string and template literal of a TypeScript source that looks like SQL. */
export function inlineSql(fileName: string, source: string): Found[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const check = (node: ts.Node, text: string): void => {
    if (text.startsWith('<%= config.bin %>')) return; // a command example in help text
    if (looksLikeSql(text)) out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, text: text.slice(0, 120) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) check(node, node.text);
    else if (ts.isTemplateExpression(node)) {
      // the literal parts with a neutral stand-in for each substitution
      check(node, [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' x '));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('no inline SQL in src/ outside the store (issue 13)', () => {
  it('the detector flags SQL in strings and templates, and leaves query names, messages and comments alone', () => {
    const planted = [
      "await db.exec('SELECT 1');",
      'await db.exec(`CREATE OR REPLACE TEMP TABLE ${t} AS SELECT * FROM x`);',
      "const s = 'read_parquet($files, union_by_name = true)';",
      'const w = `event_time >= $lower AND x IN (SELECT unnest($s))`;',
      "const j = 'a LEFT JOIN b USING (k)';",
      "const q = 'select count(*) from t';",
      "await db.exec('DROP TABLE a; DROP TABLE b');",
      "const u = 'x = 1; update t set a = 2';",
    ];
    for (const line of planted) expect(inlineSql('p.ts', line), line).toHaveLength(1);
    const clean = [
      "await runQuery(ctx.db, 'features/count', {}, { idents: { t } });",
      "throw missingError(`no bars of ${s} at ${tf}`, { hint: 'run \"perpkit datasets --symbols X\" to see what is stored' });",
      '// SELECT * FROM t in a comment is not a string',
      "const m = 'settlements whose whole window lies in the segment; placebos half an interval later';",
      "notes.push('with --incremental, nothing new since the last build');",
    ];
    for (const line of clean) expect(inlineSql('c.ts', line), line).toEqual([]);
  });

  it.each(FILES)('%s holds no SQL string (SQL lives in queries/, run by the query runner)', (file) => {
    const found = inlineSql(file, readFileSync(join(ROOT, file), 'utf8'));
    expect(found.map((f) => `${file}:${f.line}: ${f.text}`)).toEqual([]);
  });

  it('scans every file it is meant to (a renamed or deleted file fails here, not silently)', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(100);
    for (const f of ['src/services/features/build.ts', 'src/services/validate.ts', 'src/services/research/grid.ts', 'src/commands/sql.ts', 'src/engine/engine.ts']) expect(FILES).toContain(f);
    for (const f of FILES) expect(() => readFileSync(join(ROOT, f), 'utf8')).not.toThrow();
  });
});
