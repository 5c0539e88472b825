import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ZodError } from 'zod';
import { missingError, usageError } from '../domain/errors.js';
import { regimeStrategy } from './regime.js';
import { signalStrategy } from './signal.js';
import type { Strategy, StrategyModule } from './strategy.js';

export type { Strategy, StrategyContext, StrategyInfo, StrategyModule } from './strategy.js';

export const BUILTIN_STRATEGIES: Record<string, (params: Record<string, unknown>) => Strategy> = {
  regime: regimeStrategy,
  signal: signalStrategy,
};

/** "field.path: message" of the first zod issue, for exit-2 messages that name the field. */
export function zodMessage(err: ZodError, prefix: string): string {
  const i = err.issues[0];
  const path = [prefix, ...(i?.path ?? []).map(String)].filter((x) => x !== '').join('.');
  return `${path}: ${i?.message ?? 'invalid'}`;
}

function isStrategy(x: unknown): x is Strategy {
  return typeof x === 'object' && x !== null && typeof (x as Strategy).onDecision === 'function' && typeof (x as Strategy).name === 'string';
}

/**
 * A built-in strategy by name, or a user module by path (.js/.mjs, or .ts where Node can strip
 * types). Bad params are exit 2 naming the field; a missing module exit 4.
 */
export async function loadStrategy(spec: string, params: Record<string, unknown>): Promise<{ strategy: Strategy; path: string | null }> {
  try {
    const builtin = BUILTIN_STRATEGIES[spec];
    if (builtin) return { strategy: builtin(params), path: null };
    if (!/[./\\]/.test(spec)) {
      throw usageError(`unknown strategy ${JSON.stringify(spec)}`, { hint: `use ${Object.keys(BUILTIN_STRATEGIES).join(' or ')}, or a module path like ./my-strategy.mjs` });
    }
    const path = resolve(spec);
    if (!existsSync(path)) throw missingError(`strategy module ${path} does not exist`);
    let mod: { default?: StrategyModule };
    try {
      mod = (await import(pathToFileURL(path).href)) as { default?: StrategyModule };
    } catch (err) {
      throw usageError(`cannot load strategy module ${path}: ${(err as Error).message}`, {
        hint: path.endsWith('.ts') ? 'compile it to .mjs, or use a Node version that strips TypeScript types' : 'check the module for syntax errors',
      });
    }
    const d = mod.default;
    const strategy = typeof d === 'function' ? d(params) : d;
    if (!isStrategy(strategy)) {
      throw usageError(`strategy module ${path} must export default a strategy ({ name, onDecision }) or a function returning one`);
    }
    return { strategy, path };
  } catch (err) {
    if (err instanceof ZodError) throw usageError(`invalid strategy config: ${zodMessage(err, 'strategy')}`);
    throw err;
  }
}
