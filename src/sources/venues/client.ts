import { isPerpkitError, upstreamError } from '../../domain/errors.js';
import { CREDENTIAL_ENV, type VenueId } from '../../domain/venue-config.js';
import type { Transport } from './transport.js';

/**
 * A ccxt exchange per venue, reached through its implicit REST methods (the raw endpoints, e.g.
 * `fapiPublicGetKlines`), with perpkit's transport underneath (rate limit, retries) and, when
 * given, every API URL moved to another base (the mock venue of the tests, a proxy).
 */

export const CCXT_IDS: Record<VenueId, string> = {
  coinbase: 'coinbase',
  'coinbase-intx': 'coinbaseinternational',
  'binance-usdm': 'binanceusdm',
  'binance-spot': 'binance',
};

/** Calls one implicit ccxt method; the answer is the parsed JSON body. */
export interface VenueClient {
  venue: VenueId;
  call(method: string, params: Record<string, unknown>): Promise<unknown>;
}

/**
 * Every URL of `urls.api` rebased: the origin is replaced by `baseUrl`, the path kept
 * (https://fapi.binance.com/fapi/v1 -> <base>/fapi/v1), so one server can answer them all.
 */
export function rebaseUrls(api: Record<string, unknown>, baseUrl: string): Record<string, unknown> {
  const base = baseUrl.replace(/\/+$/, '');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(api)) {
    if (typeof v === 'string' && /^https?:\/\//.test(v)) {
      const path = new URL(v).pathname.replace(/\/+$/, '');
      out[k] = `${base}${path === '/' ? '' : path}`;
    } else if (v && typeof v === 'object') {
      out[k] = rebaseUrls(v as Record<string, unknown>, baseUrl);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** Credentials from the environment only (public endpoints need none); never logged or stored. */
function credentials(venue: VenueId, env: NodeJS.ProcessEnv): Record<string, string> {
  const names = CREDENTIAL_ENV[venue];
  const apiKey = env[names.apiKey];
  const secret = env[names.secret];
  if (!apiKey || !secret) return {};
  const out: Record<string, string> = { apiKey, secret };
  const password = names.password ? env[names.password] : undefined;
  if (password) out['password'] = password;
  return out;
}

export async function createVenueClient(
  venue: VenueId,
  transport: Transport,
  options: { baseUrl?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<VenueClient> {
  // Loaded on first use: ccxt is large and only `fetch --venue` needs it.
  const mod = (await import('ccxt')) as unknown as { default?: Record<string, unknown> } & Record<string, unknown>;
  const ccxt = (mod.default ?? mod) as Record<string, unknown>;
  const Ctor = ccxt[CCXT_IDS[venue]] as new (config: Record<string, unknown>) => Record<string, unknown>;
  const exchange = new Ctor({
    // perpkit's transport spaces and retries requests; ccxt's own throttle would double-count.
    enableRateLimit: false,
    // per-attempt timeouts live in the transport; this only bounds a whole retried request
    timeout: 3_600_000,
    fetchImplementation: transport.fetchImplementation(),
    ...credentials(venue, options.env ?? process.env),
  });
  if (options.baseUrl) {
    const urls = exchange['urls'] as { api: Record<string, unknown> };
    urls.api = rebaseUrls(urls.api, options.baseUrl);
  }
  return {
    venue,
    async call(method, params) {
      const fn = exchange[method];
      if (typeof fn !== 'function') throw new Error(`ccxt ${CCXT_IDS[venue]} has no method ${method}`);
      try {
        return await (fn as (p: Record<string, unknown>) => Promise<unknown>).call(exchange, params);
      } catch (err) {
        if (isPerpkitError(err)) throw err;
        if (err instanceof Error && (err.name === 'AbortError' || err.name === 'PerpkitError')) throw err;
        const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw upstreamError(`${venue}: ${method} failed: ${msg}`, { details: { venue, method } });
      }
    },
  };
}
