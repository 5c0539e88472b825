import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { ROOT, runProcess } from './helpers.js';

/**
 * The package's own manifest: what `npm install perpkit` / `npm pack` would ship and what Node and
 * oclif resolve from it. Run after `npm run build` (as `npm test` does): dist/ must exist.
 */

interface Manifest {
  name: string;
  type?: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  files?: string[];
  engines?: { node?: string };
  oclif?: { bin?: string; commands?: string };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f))
    .sort();
}

describe('package.json', () => {
  it('is built (dist/ exists); run "npm run build" before this test', () => {
    expect(existsSync(join(ROOT, 'dist', 'commands')), 'dist/commands missing: run npm run build').toBe(true);
  });

  it('bin: perpkit -> an executable ES module script with a node shebang that runs the built CLI', async () => {
    expect(Object.keys(pkg.bin ?? {})).toEqual(['perpkit']);
    const bin = join(ROOT, pkg.bin?.['perpkit'] as string);
    expect(existsSync(bin), bin).toBe(true);
    expect(statSync(bin).mode & 0o111, 'bin must be executable').not.toBe(0);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.type).toBe('module');
    expect(pkg.oclif?.bin).toBe('perpkit');
    const r = await runProcess(process.execPath, [bin, '--version'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('perpkit/');
  });

  it('main and types, when set, resolve to files of the build', () => {
    for (const field of ['main', 'types'] as const) {
      const value = pkg[field];
      if (value === undefined) continue;
      const path = join(ROOT, value);
      expect(existsSync(path), `package.json "${field}": ${value} does not exist after the build`).toBe(true);
      const shipped = (pkg.files ?? []).some((f) => relative(join(ROOT, f), path).split('/')[0] !== '..');
      expect(shipped, `package.json "${field}": ${value} is outside "files"`).toBe(true);
    }
  });

  it('oclif.commands: one built command per src/commands file', () => {
    const dir = join(ROOT, pkg.oclif?.commands as string);
    expect(existsSync(dir)).toBe(true);
    const src = walk(join(ROOT, 'src', 'commands'), '.ts').map((f) => relative(join(ROOT, 'src', 'commands'), f).replace(/\.ts$/, ''));
    const built = walk(dir, '.js').map((f) => relative(dir, f).replace(/\.js$/, ''));
    expect(src.length).toBeGreaterThan(5);
    for (const c of src) expect(built, `dist command for src/commands/${c}.ts`).toContain(c);
  });

  it('"files" exist and ship the CLI, the build, queries/ (found relative to the package) and the sample', async () => {
    const files = pkg.files ?? [];
    for (const f of ['bin', 'dist', 'queries', 'data/sample', 'README.md']) expect(files, f).toContain(f);
    for (const f of files) expect(existsSync(join(ROOT, f)), f).toBe(true);
    const r = await runProcess('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const packed = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((x) => x.path));
    for (const q of walk(join(ROOT, 'queries'), '.sql')) expect(packed.has(relative(ROOT, q)), relative(ROOT, q)).toBe(true);
    for (const p of ['bin/run.js', 'dist/commands/sql.js', 'dist/store/queries.js', 'package.json', 'README.md']) expect(packed.has(p), p).toBe(true);
    expect([...packed].filter((p) => p.startsWith('data/sample/')).length).toBeGreaterThan(280);
    // Nothing of the development tree: tests, sources, local data.
    expect([...packed].filter((p) => /^(test|src|bench|node_modules)\//.test(p) || /^data\/(?!sample\/)/.test(p))).toEqual([]);
  });

  it('every .sql file under queries/ starts with its header comment', () => {
    const sql = walk(join(ROOT, 'queries'), '.sql');
    expect(sql.length).toBeGreaterThan(30);
    for (const f of sql) expect(readFileSync(f, 'utf8').trimStart().startsWith('--'), relative(ROOT, f)).toBe(true);
  });

  it('every package the sources import is a runtime dependency (not a devDependency)', () => {
    const deps = Object.keys(pkg.dependencies ?? {});
    const builtins = new Set(builtinModules);
    const used = new Set<string>();
    for (const f of walk(join(ROOT, 'src'), '.ts')) {
      const text = readFileSync(f, 'utf8');
      // import/export ... from 'x' statements (possibly over several lines) and import('x'); a
      // message such as 'pick one from "perpkit models list"' is neither
      for (const m of text.matchAll(/(?:^\s*(?:import|export)\b[^'"]*?from\s+|\bimport\s*\(\s*)['"]([^'"./][^'"]*)['"]/gm)) {
        const spec = m[1] as string;
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
      }
    }
    expect(used.size).toBeGreaterThan(3);
    // tsx: the optimiser's worker pool registers it only when it runs from the .ts sources (tests,
    // benches); the built CLI starts dist/ workers and never loads it
    const devOnly = new Set(['tsx']);
    for (const u of used) if (!devOnly.has(u)) expect(deps, `${u} is imported by src/ but is not in "dependencies"`).toContain(u);
  });

  it('engines.node admits the Node running the tests, and says >= 20', () => {
    expect(pkg.engines?.node).toBe('>=20');
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
  });
});
