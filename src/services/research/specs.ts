import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { usageError } from '../../domain/errors.js';
import { HYPOTHESIS_IDS, HypothesisSpecSchema, type HypothesisSpec } from '../../domain/research.js';
import { sha256 } from '../../store/ledger.js';

/**
 * The hypotheses/ folder shipped with the package, found from this module's location
 * (src/services/research or dist/src/services/research), never from the working directory.
 */
export function hypothesesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'hypotheses');
    if (existsSync(join(candidate, 'H1.yaml'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('perpkit hypotheses folder not found next to the package; the package is incomplete');
}

export interface LoadedSpec {
  spec: HypothesisSpec;
  /** sha256 of the file's bytes: a changed spec is a new trial */
  hash: string;
  path: string;
}

/** Parses and validates one spec file; a bad file is a usage error naming the file and the field. */
export function loadSpecFile(path: string): LoadedSpec {
  if (!existsSync(path)) throw usageError(`no hypothesis spec at ${path}`);
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw usageError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  const res = HypothesisSpecSchema.safeParse(raw);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ');
    throw usageError(`${path}: invalid hypothesis spec: ${issues}`, { hint: 'see hypotheses/H1.yaml and docs/research.md for the format' });
  }
  return { spec: res.data, hash: sha256(text), path };
}

/** The specs named by --hypothesis: H1..H6 or all (comma-separated). */
export function loadHypotheses(ids: string[], dir = hypothesesDir()): LoadedSpec[] {
  const wanted = ids.includes('all') ? [...HYPOTHESIS_IDS] : ids;
  return wanted.map((id) => {
    if (!(HYPOTHESIS_IDS as readonly string[]).includes(id)) {
      throw usageError(`--hypothesis ${JSON.stringify(id)} is not one of ${HYPOTHESIS_IDS.join(', ')} or all`);
    }
    const loaded = loadSpecFile(join(dir, `${id}.yaml`));
    if (loaded.spec.id !== id) throw usageError(`${loaded.path} declares id ${loaded.spec.id}, expected ${id}`);
    return loaded;
  });
}

/**
 * The earlier version of a spec kept byte for byte in hypotheses/versions/ (<id>.v<N>.yaml) whose
 * file hash is `hash` (what a run recorded), or null: the report judges an old run with it.
 */
export function archivedSpec(id: string, hash: string | undefined, dir = hypothesesDir()): LoadedSpec | null {
  const versions = join(dir, 'versions');
  if (!hash || !existsSync(versions)) return null;
  for (const f of readdirSync(versions).filter((x) => x.startsWith(`${id}.v`) && x.endsWith('.yaml'))) {
    const loaded = loadSpecFile(join(versions, f));
    if (loaded.hash === hash && loaded.spec.id === id) return loaded;
  }
  return null;
}
