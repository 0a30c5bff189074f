/**
 * Template contents for the producer's door check (params against the template's `${var}`s), read
 * with GetSmsTemplate and cached for a while: a long-running server must notice a template that
 * was changed or deleted, and must not remember a failed look-up.
 */
import type { TemplateContentLookup } from '../../producers/plan.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SmsClient } from '../sms/types.js';

export interface TemplateLookupOptions {
  /** The SMS client, opened on first use. */
  client: () => Promise<SmsClient>;
  /** How long a template's content is reused (ms). Default 5 minutes. */
  ttlMs?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
}

/**
 * A template the account does not have (or has not approved) refuses the request with a 400 on
 * `templateCode`; any other failure (network, throttling) skips the check, because the worker
 * will meet and report the same problem, and refusing every request while Dysmsapi hiccups would
 * be worse.
 */
export function createTemplateLookup(o: TemplateLookupOptions): TemplateContentLookup {
  const ttlMs = o.ttlMs ?? 300_000;
  const now = o.now ?? Date.now;
  const cache = new Map<string, { at: number; content: Promise<string | undefined> }>();
  return async (code) => {
    const hit = cache.get(code);
    if (hit && now() - hit.at < ttlMs) return hit.content;
    const content = (async () => {
      const outcome = await (await o.client()).getSmsTemplate(code);
      if (outcome.ok) return outcome.data.templateContent;
      const e = outcome.error;
      cache.delete(code);
      if (e.errorClass === 'sign_template' || /TemplateNotFound|TEMPLATE/i.test(e.code)) {
        throw new ValidationError([{ field: 'templateCode', message: `${e.code}: ${e.meaning}. Fix: ${e.action} (see \`smsq templates\`)` }]);
      }
      o.logger?.warn({ code: e.code, templateCode: code }, 'could not read the template; its params are not checked for this request');
      return undefined;
    })();
    cache.set(code, { at: now(), content });
    content.catch(() => cache.delete(code));
    return content;
  };
}
