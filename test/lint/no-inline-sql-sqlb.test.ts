import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No SQL text in these source files: every query lives in queries/ (issue 13, "no SQL string remains
 * outside queries/ except what the runner itself needs"). The files are the ones moved by the sqlb
 * branch: validate, fetch, fetch-venue, synthetic, sql, stats and split services, every command, and
 * the report, paper and optimize services (as they exist when the test runs: new files are scanned too).
 * `perpkit sql` runs the user's own SQL text: that is a variable, not a literal, and not flagged.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const FILES = ['validate', 'fetch', 'fetch-venue', 'synthetic', 'sql', 'stats', 'split'].map((f) => `src/services/${f}.ts`);
const DIRS = ['src/commands', 'src/services/report', 'src/services/paper', 'src/services/optimize'];

function tsFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

function scannedFiles(): string[] {
  return [...FILES, ...DIRS.flatMap(tsFiles)].filter((f) => existsSync(join(ROOT, f))).sort();
}

/** SQL at the start of a statement (string start, a new line or after `;`), or a table function over files. */
const SQL_PATTERNS = [
  /(?:^|[;\n])\s*(?:SELECT|INSERT|CREATE|COPY|WITH|DELETE|UPDATE|ATTACH|DETACH|PRAGMA|SET|DROP|ALTER|DESCRIBE|INSTALL|LOAD|EXPORT|IMPORT)\s/,
  /\bread_(?:parquet|csv|csv_auto|json|json_auto)\s*\(/,
  /\bFROM\s+\$\{/,
];

/** Every string and template literal of a TypeScript source (a template's ${...} parts as a marker). */
function literals(source: string, name = 'x.ts'): Array<{ line: number; text: string }> {
  const sf = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true);
  const out: Array<{ line: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    let text: string | null = null;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
    else if (ts.isTemplateExpression(node)) text = node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('');
    if (text !== null) out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1, text });
    // a template's spans are visited for literals nested in its ${...} expressions
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function inlineSql(source: string, name?: string): Array<{ line: number; text: string }> {
  return literals(source, name).filter((l) => SQL_PATTERNS.some((re) => re.test(l.text)));
}

describe('no inline SQL in the files moved to queries/ (sqlb)', () => {
  it('scans the files it is meant to', () => {
    const files = scannedFiles();
    expect(files).toContain('src/services/validate.ts');
    expect(files).toContain('src/services/report/common.ts');
    expect(files).toContain('src/commands/sql.ts');
    expect(files.length).toBeGreaterThan(40);
  });

  it('finds SQL in a planted literal, and none in messages that only mention it', () => {
    const planted = [
      "await db.exec('DROP TABLE IF EXISTS __x');",
      'const q = `SELECT a FROM t`;',
      'const q = `\n  WITH a AS (SELECT 1) SELECT * FROM a`;',
      "const s = 'x; SET threads = 1';",
      'const src = `read_parquet(${p})`;',
      'const q = `SELECT ${cols} FROM ${t}`;',
      'const q = `count(*) FROM ${SCAN}`;',
      'f(`${a}`, "CREATE TEMP TABLE t AS SELECT 1");',
    ];
    for (const p of planted) expect(inlineSql(p), p).toHaveLength(1);
    const clean = [
      "throw usageError('no query given', { hint: 'perpkit sql \"SELECT ...\"' });",
      "const m = 'refused: the query is not a single read-only SELECT (statements that write are not run)';",
      "runQuery(db, 'validate/findings_create');",
      'const h = `run "perpkit split --name ${n} --replace ..."`;',
    ];
    for (const c of clean) expect(inlineSql(c), c).toEqual([]);
  });

  it('no scanned file holds SQL text in a string or template literal', () => {
    const found: string[] = [];
    for (const f of scannedFiles()) {
      for (const l of inlineSql(readFileSync(join(ROOT, f), 'utf8'), f)) found.push(`${relative(ROOT, join(ROOT, f))}:${l.line}: ${l.text.slice(0, 100)}`);
    }
    expect(found).toEqual([]);
  });
});
