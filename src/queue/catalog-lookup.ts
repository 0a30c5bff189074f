/**
 * Signatures and templates as the account has them (GetSmsSign / GetSmsTemplate), for the checks a
 * request passes before anything is enqueued. Every call waits for its slot on the account-wide
 * pacer, like any other Dysmsapi call, and approved answers are cached for a while so that a
 * verification code does not pay two look-ups.
 *
 * The cache has two levels: this process's memory, then Redis (shared by every process of the
 * deployment, under the deployment's prefix). Memory answers a long-running server without a round
 * trip; Redis lets short-lived processes (each `smsq send` of a script, several servers) share one
 * look-up per TTL instead of paying two calls each. Only approved signatures and templates are
 * cached: one that is unknown, under review or rejected is asked again each time, so an approval
 * takes effect at once while a refusal costs only the request that is refused. A signature or
 * template withdrawn inside the TTL is still caught by the worker (the API answers
 * `isv.SMS_SIGNATURE_ILLEGAL` / `isv.SMS_TEMPLATE_ILLEGAL`, and the send fails early).
 */
import type { RedisConnection } from './connection.js';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { createCallPacer, pacedSmsClient } from './call-pacer.js';
import { createKeys, DEFAULT_PREFIX } from './keys.js';
import type { SmsError } from '../sms/errors.js';
import type { SignDetail, SmsClient, SmsOutcome, TemplateDetail } from '../sms/types.js';

/** What a look-up found: the detail, "the account has no such thing", or no answer to go by. */
export type CatalogEntry<T> =
  | { state: 'found'; detail: T }
  | { state: 'not_found'; error: SmsError }
  | { state: 'unavailable'; error: SmsError };

export interface CatalogLookup {
  sign(signName: string): Promise<CatalogEntry<SignDetail>>;
  template(templateCode: string): Promise<CatalogEntry<TemplateDetail>>;
}

export interface CatalogLookupOptions {
  /** The SMS client (unpaced: the look-up paces it), or a function that opens it on first use. */
  client: SmsClient | (() => Promise<SmsClient>);
  /** Redis for the pacer's slot and the shared cache. */
  redis: RedisConnection;
  /** The deployment's key prefix (as the workers'). Default `{smsq}`. */
  prefix?: string;
  /** The account cap (SMS_QPS) the pacer spaces calls for. */
  qps: number;
  /** How long an approved signature or template is reused (ms); 0 turns the cache off. Default 300 000 (SMSQ_CATALOG_CACHE_MS). */
  ttlMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export const DEFAULT_CATALOG_CACHE_MS = 300_000;

/** Approval status 1 is the only one a send may use. */
const APPROVED = 1;

interface Cached<T> {
  until: number;
  entry: Promise<CatalogEntry<T>>;
}

export function createCatalogLookup(options: CatalogLookupOptions): CatalogLookup {
  const ttlMs = options.ttlMs ?? DEFAULT_CATALOG_CACHE_MS;
  const clock = options.clock ?? systemClock;
  const keys = createKeys(options.prefix ?? DEFAULT_PREFIX);
  const pacer = createCallPacer({ redis: options.redis, key: keys.pacer(), qps: options.qps });
  let paced: Promise<SmsClient> | undefined;
  const client = (): Promise<SmsClient> => {
    paced ??= (async () => pacedSmsClient(typeof options.client === 'function' ? await options.client() : options.client, pacer))();
    return paced;
  };
  const memory = new Map<string, Cached<unknown>>();

  function entryOf<T>(outcome: SmsOutcome<T>): CatalogEntry<T> {
    if (outcome.ok) return { state: 'found', detail: outcome.data };
    const e = outcome.error;
    return { state: e.errorClass === 'sign_template' ? 'not_found' : 'unavailable', error: e };
  }

  async function lookUp<T>(kind: 'sign' | 'template', name: string, status: (detail: T) => number, call: (c: SmsClient) => Promise<SmsOutcome<T>>): Promise<CatalogEntry<T>> {
    const cacheKey = keys.catalog(kind, name);
    const now = clock.now();
    const hit = memory.get(cacheKey) as Cached<T> | undefined;
    if (hit && now < hit.until) return hit.entry;
    if (ttlMs <= 0) return entryOf(await call(await client()));
    const entry = (async (): Promise<CatalogEntry<T>> => {
      const shared = await options.redis.get(cacheKey);
      if (shared !== null) {
        const stored = JSON.parse(shared) as { until: number; detail: T };
        memory.set(cacheKey, { until: Math.min(stored.until, clock.now() + ttlMs), entry: Promise.resolve({ state: 'found', detail: stored.detail }) });
        return { state: 'found', detail: stored.detail };
      }
      const found = entryOf(await call(await client()));
      if (found.state === 'found' && status(found.detail) === APPROVED) {
        const until = clock.now() + ttlMs;
        await options.redis.set(cacheKey, JSON.stringify({ until, detail: found.detail }), 'PX', ttlMs);
      } else {
        memory.delete(cacheKey);
      }
      // An account that cannot call (a bad key, SMS_ENDPOINT not reached) refuses the request: its caller says so.
      if (found.state === 'unavailable' && found.error.errorClass !== 'account') options.logger?.warn({ code: found.error.code, kind, name }, `could not read the ${kind} from Dysmsapi`);
      return found;
    })();
    // Concurrent requests share one look-up; a failed or unapproved one is not remembered.
    memory.set(cacheKey, { until: now + ttlMs, entry });
    entry.catch(() => memory.delete(cacheKey));
    return entry;
  }

  return {
    sign: (signName) => lookUp<SignDetail>('sign', signName, (detail) => detail.signStatus, (c) => c.getSmsSign(signName)),
    template: (templateCode) => lookUp<TemplateDetail>('template', templateCode, (detail) => detail.templateStatus, (c) => c.getSmsTemplate(templateCode)),
  };
}
