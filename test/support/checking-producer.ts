/**
 * A producer on a harness that checks the account at the door (its signatures and templates
 * looked up through the harness's emulator), as `smsq server` and the CLI make theirs: the
 * template's variables are known before anything is written.
 */
import { createProducer, type Producer } from '../../producers/producer.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import type { Harness } from './pipeline.js';

export function createCheckingProducer(h: Harness): Producer {
  return createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, catalog: createCatalogLookup({ client: h.client, redis: h.redis, prefix: h.prefix, qps: 500 }) });
}
