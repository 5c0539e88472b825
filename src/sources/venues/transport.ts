import { setTimeout as sleepMs } from 'node:timers/promises';
import type { Logger } from '../../domain/context.js';
import { PerpkitError, upstreamError } from '../../domain/errors.js';
import type { RetryConfig } from '../../domain/venue-config.js';

/**
 * The HTTP layer under ccxt (its `fetchImplementation`): one request-rate limiter per venue,
 * per-attempt timeouts, and retries of 429 / 5xx / timeouts / connection errors with exponential
 * backoff and full jitter, honouring Retry-After. ccxt sees only the final response, so its own
 * error mapping applies to what is left (4xx other than 429). A 2xx body that is not JSON
 * (truncated or malformed) is refused here, before any row is made from it.
 */

/** Counters of one run, for the result and the measured request rate. */
export interface TransportStats {
  /** HTTP attempts sent (retries included) */
  requests: number;
  /** attempts that were retried */
  retries: number;
  /** attempts by outcome: "200", "429", "503", "timeout", "network" */
  outcomes: Record<string, number>;
  /** monotonic ms of the first and last attempt */
  first_ms: number | null;
  last_ms: number | null;
}

/** Spaces requests evenly at `perSecond` (no burst), shared by all tasks of a venue. */
export class RateLimiter {
  private nextAt = 0;
  private readonly intervalMs: number;

  constructor(perSecond: number) {
    this.intervalMs = 1000 / perSecond;
  }

  async take(signal: AbortSignal): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    if (at > now) await sleepMs(at - now, undefined, { signal });
  }
}

export interface TransportOptions {
  venue: string;
  perSecond: number;
  retry: RetryConfig;
  log: Logger;
  signal: AbortSignal;
  /** random source in [0, 1) for the jitter (tests may pin it) */
  random?: () => number;
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds; null when absent or bad. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return Math.round(s * 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : null;
}

/** Full-jitter exponential backoff: a random wait in [0, min(cap, base * 2^attempt)]. */
export function backoffMs(retry: RetryConfig, attempt: number, random: () => number): number {
  const ceiling = Math.min(retry.max_delay_ms, retry.base_delay_ms * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/** Path of a URL without origin and query, for messages (queries never carry secrets here, but stay short). */
function shortUrl(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

export class Transport {
  readonly stats: TransportStats = { requests: 0, retries: 0, outcomes: {}, first_ms: null, last_ms: null };
  private readonly limiter: RateLimiter;
  private readonly random: () => number;

  constructor(private readonly opts: TransportOptions) {
    this.limiter = new RateLimiter(opts.perSecond);
    this.random = opts.random ?? Math.random;
  }

  private count(outcome: string): void {
    this.stats.outcomes[outcome] = (this.stats.outcomes[outcome] ?? 0) + 1;
  }

  /** A fetch-compatible function for ccxt's `fetchImplementation`. */
  fetchImplementation(): (url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<Response> {
    return (url, init) => this.request(url, init);
  }

  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response> {
    const { retry, log, signal, venue } = this.opts;
    const method = init.method ?? 'GET';
    const where = `${method} ${shortUrl(url)}`;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw signal.reason;
      await this.limiter.take(signal);
      const t = performance.now();
      this.stats.requests++;
      this.stats.first_ms ??= t;
      this.stats.last_ms = t;
      const ac = new AbortController();
      const onAbort = (): void => ac.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => ac.abort(new Error('timeout')), retry.timeout_ms);
      let failure: { what: string; retryAfterMs: number | null };
      try {
        const res = await fetch(url, {
          method,
          ...(init.headers ? { headers: init.headers } : {}),
          ...(init.body !== undefined ? { body: init.body } : {}),
          signal: ac.signal,
        });
        const text = await res.text();
        this.count(String(res.status));
        if (res.status === 429 || res.status >= 500) {
          failure = {
            what: `HTTP ${res.status}`,
            retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
          };
        } else {
          if (res.status >= 200 && res.status < 300) checkJson(venue, where, text);
          return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
        }
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (err instanceof PerpkitError) throw err;
        const timedOut = ac.signal.aborted;
        this.count(timedOut ? 'timeout' : 'network');
        failure = {
          what: timedOut ? `timeout after ${retry.timeout_ms} ms` : `connection error (${(err as Error).message})`,
          retryAfterMs: null,
        };
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
      if (attempt >= retry.max_retries) {
        throw upstreamError(`${venue}: ${where} failed ${attempt + 1} time(s), last with ${failure.what}; retry budget (${retry.max_retries}) used up`, {
          details: { venue, request: where, attempts: attempt + 1, last: failure.what },
        });
      }
      let wait = backoffMs(retry, attempt, this.random);
      if (failure.retryAfterMs !== null) {
        if (failure.retryAfterMs > retry.max_retry_after_ms) {
          throw upstreamError(
            `${venue}: ${where} answered ${failure.what} with Retry-After ${Math.round(failure.retryAfterMs / 1000)} s, longer than the ${Math.round(retry.max_retry_after_ms / 1000)} s perpkit waits`,
            { details: { venue, request: where, retry_after_ms: failure.retryAfterMs } },
          );
        }
        wait = Math.max(wait, failure.retryAfterMs);
      }
      this.stats.retries++;
      log.warn(`${venue}: ${where}: ${failure.what}; retry ${attempt + 1}/${retry.max_retries} in ${(wait / 1000).toFixed(2)} s`);
      await sleepMs(wait, undefined, { signal });
    }
  }
}

/** Refuses a 2xx body that is not JSON: a truncated or malformed response makes no rows. */
function checkJson(venue: string, where: string, text: string): void {
  try {
    JSON.parse(text);
  } catch (err) {
    const head = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw upstreamError(
      `${venue}: ${where} returned a body that is not valid JSON (${text.length} bytes, ${(err as Error).message}): ${JSON.stringify(head)}; nothing was stored from this response`,
      { details: { venue, request: where, reason: 'malformed_json', bytes: text.length } },
    );
  }
}
