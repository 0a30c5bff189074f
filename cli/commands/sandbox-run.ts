/**
 * What `smsq sandbox` runs once its flags are parsed (sandbox.ts defines them): an emulator, a
 * worker and three sends through to their receipts. Its action loads this module, and with it
 * BullMQ, ioredis, the SDK and the emulator: `smsq --help` and a refused flag load none of them.
 */
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { clientCommandTimeoutMs, createNodeResolver, createRedisConnection, deleteKeys, type RedisConnectionOptions } from '../../src/queue/connection.js';
import { clientCertificateOf } from '../pipeline.js';
import { redactRedisUrl } from '../../src/queue/redis-url.js';
import type { SendStatus } from '../../src/queue/send-store.js';
import { countIn, PENDING_STATES } from '../../src/receipts/completion.js';
import { FINAL_RECIPIENT_STATES } from '../../src/receipts/recipient-store.js';
import { redisAnswers, startPrivateRedis } from '../../src/runtime/private-redis.js';
import { ADVISED_HASH_VALUE_BYTES } from '../../src/queue/redis-memory-advice.js';
import { judgeDurability, type DurabilityOptions } from '../../src/durability/mode.js';
import { probeRedisDurability } from '../../src/durability/probe.js';
import type { CliContext } from '../context.js';
import type { SandboxFlags } from './sandbox-flags.js';
import { sandboxPrefix } from './sandbox-prefix.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../../src/errors.js';
import { renderTable } from '../format.js';
import { statusJson } from '../status-json.js';

const ALL = { mode: 'all', sampleRate: 1 } as const;

/** Why the demo cannot use the Redis at `url` (none answers, or it cannot keep the durability mode), if it cannot. */
async function whyUnfit(url: string, durability: DurabilityOptions, prefix: string, certificate: Pick<RedisConnectionOptions, 'clientCertificate'>): Promise<string | undefined> {
  if (!(await redisAnswers(url, undefined, certificate.clientCertificate))) return `no Redis answers at ${redactRedisUrl(url)}`;
  const probe = createRedisConnection(url, { lazyConnect: true, ...certificate });
  probe.on('error', () => {});
  try {
    await probe.connect();
    const server = await createNodeResolver(probe, prefix)();
    const refused = judgeDurability(durability, await probeRedisDurability(server)).filter((p) => p.severity === 'refuse');
    return refused.length ? `the Redis at ${redactRedisUrl(url)} cannot keep SMSQ_DURABILITY=${durability.mode} (${refused[0]?.what.replace(/ \(SMSQ_DURABILITY=[^)]*\)/, '')})` : undefined;
  } finally {
    probe.disconnect();
  }
}

export async function runSandbox(ctx: CliContext, flags: SandboxFlags): Promise<number | void> {
  const config = ctx.config;
  // Ctrl-C or SIGTERM: the run stops at its next look and removes what it made (its keys, its private Redis).
  let stoppedBy: string | undefined;
  const shutdown = (ctx.deps.waitForShutdown ? ctx.deps.waitForShutdown() : new Promise<string>(() => {})).then((signal) => (stoppedBy = signal));
  if (config.mode !== 'sandbox') throw new UsageError('smsq sandbox runs only in sandbox mode. Fix: unset SMS_MODE (or SMS_MODE=sandbox)');
  let redisUrl = config.redisUrl;
  const prefix = sandboxPrefix(ctx.now());
  // REDIS_URL's Redis is reached as every command reaches it: with the client certificate, if set.
  let certificate = clientCertificateOf(config);
  const unfit = await whyUnfit(redisUrl, config.durability, prefix, certificate);
  if (unfit) {
    ctx.note(`${unfit}: starting a private redis-server for this run`);
    const priv = await startPrivateRedis({ appendfsync: 'always', hashMaxListpackValue: ADVISED_HASH_VALUE_BYTES });
    ctx.onClose(() => priv.stop());
    redisUrl = priv.url;
    certificate = {};
  }
  // The worker's connection waits through an outage, as `smsq worker`'s does; the rest of the
  // run reads and writes on a `client` one, which fails within SMSQ_REDIS_CONNECT_TIMEOUT_MS
  // (a frozen Redis included), so that a Redis gone mid-run ends it instead of holding it.
  const redis = createRedisConnection(redisUrl, certificate);
  redis.on('error', () => {}); // the gate's SMSQ_REDIS_UNAVAILABLE and the worker's Redis watch say it
  ctx.onClose(() => void redis.disconnect());
  const connectTimeoutMs = config.redisConnectTimeoutMs;
  const calls = createRedisConnection(redisUrl, { role: 'client', connectTimeoutMs, commandTimeoutMs: clientCommandTimeoutMs(connectTimeoutMs, config.durability.timeoutMs), ...certificate });
  calls.on('error', () => {});
  ctx.onClose(() => void calls.disconnect());
  const { client, endpoint } = await ctx.sms();
  // The run narrates itself on stderr: its worker's and producer's info lines said it again,
  // as JSON between the progress lines. Their warnings stay, and LOG_LEVEL brings the rest.
  const logger = config.logLevel ? ctx.logger : ctx.logger.child({}, { level: 'warn' });
  const worker = createSmsWorker({
    connection: redis,
    client,
    logger,
    prefix,
    qps: config.qps,
    concurrency: config.concurrency,
    readTimeoutMs: config.readTimeoutMs,
    // Receipts looked up for every kind, two seconds after acceptance, so the run ends soon.
    receiptPolicies: { verification: ALL, notification: ALL, marketing: ALL },
    receiptSchedule: { lookDelaysMs: [2000, 4000], windowMs: sandboxReceiptWindowMs(flags.recipients, config.qps) },
    autoPause: null,
    // The demo's campaign goes out at once, whatever the hour.
    quietHours: null,
    durability: config.durability,
  });
  const producer = createProducer({
    redis: calls,
    prefix,
    logger,
    durability: config.durability,
    catalog: createCatalogLookup({ client, redis: calls, prefix, qps: config.qps }),
    connectTimeoutMs,
    redactedRedisUrl: redactRedisUrl(redisUrl),
  });
  ctx.onClose(async () => {
    await producer.close();
    // Bounded as `smsq worker`'s stop is: a Redis gone with a job in hand would hold it for ever.
    await worker.closeWithin(config.shutdownGraceMs);
    // The demo's keys are its own: leave nothing behind in the configured Redis (a private one goes whole).
    const removed = await deleteKeys(calls, prefix).then(
      () => true,
      () => false,
    );
    if (!removed && redisUrl === config.redisUrl) {
      ctx.note(
        `sandbox: could not remove this run's keys: they are under ${prefix} in Redis at REDIS_URL=${redactRedisUrl(redisUrl)}. Fix: once Redis answers, remove them: redis-cli -u "$REDIS_URL" --scan --pattern '${prefix}*' | xargs redis-cli -u "$REDIS_URL" unlink`,
      );
    }
  });
  await worker.start();
  ctx.note(`sandbox: emulator at ${endpoint}, Redis at ${redactRedisUrl(redisUrl)}, calls paced ${worker.pacerIntervalMicros ?? '?'} µs apart`);

  const started = Date.now();
  const code = await producer.send({ phones: ['13800138000'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '246810' }, kind: 'verification' });
  const note = await producer.send({ phones: ['13900139000', '+86 139 0013 9001', '12345'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A-1001' } });
  async function* recipients() {
    for (let i = 0; i < flags.recipients; i++) yield { phone: String(13700000000 + i), params: { name: `friend ${i}` } };
  }
  const campaign = await producer.campaign(recipients(), { signName: N.sign, templateCode: N.marketingTemplate, name: 'sandbox campaign' }, {
    onProgress: (p) => {
      if (p.queued > 0) ctx.note(`campaign: ${p.queued} queued in ${p.chunks} chunks`);
    },
  });
  const sends = [
    { name: 'verification code', id: code.sendId },
    { name: 'notification', id: note.sendId },
    { name: `campaign (${flags.recipients})`, id: campaign.sendId },
  ];
  ctx.note(`enqueued: ${sends.map((s) => `${s.name} ${s.id}`).join(', ')}; invalid numbers refused: ${note.rejected.map((r) => `${r.input} (${r.reason})`).join(', ')}`);

  const statuses: SendStatus[] = [];
  for (;;) {
    statuses.length = 0;
    for (const s of sends) statuses.push(await producer.getStatus(s.id));
    const pending = statuses.reduce((n, st) => n + countIn(st.counts, PENDING_STATES), 0);
    ctx.note(`${((Date.now() - started) / 1000).toFixed(1)} s: ${statuses.map((st, i) => `${sends[i]!.name}: ${st.counts.delivered} delivered, ${st.counts.failed} failed`).join(' | ')}${pending ? ` | ${pending} waiting` : ''}`);
    if (pending === 0) break;
    await Promise.race([new Promise((r) => setTimeout(r, 1000)), shutdown]);
    if (stoppedBy !== undefined) {
      ctx.note(`sandbox: stopped by ${stoppedBy} before every send was through; removing this run's keys${redisUrl === config.redisUrl ? '' : ' and its private Redis'}`);
      return stoppedBy === 'SIGINT' ? EXIT.interrupted : EXIT.terminated;
    }
  }
  if (flags.json) {
    ctx.printJson({ sends: statuses.map(statusJson) });
    return;
  }
  const states = FINAL_RECIPIENT_STATES;
  ctx.print(
    renderTable(
      [{ header: 'send' }, { header: 'id' }, ...states.map((s) => ({ header: s }))],
      statuses.map((st, i) => [sends[i]!.name, st.send.sendId, ...states.map((s) => st.counts[s])]),
    ),
  );
  ctx.print(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Nothing left this machine. Next: README "Quick start" to run workers and the server yourself.`);
}

/**
 * The sandbox's receipt window: long enough for every recipient to be looked up (one QuerySendDetails
 * each, under the cap with the sends) twice over, and two minutes more for a busy machine. It
 * bounds the run only when receipts do not come; they come within seconds. A fixed 30 s expired
 * 584 of the 2,000 default recipients once on a machine at load ~15, and most of a large
 * `--recipients` run on any machine (a million look-ups take 222 s at 4,500 calls a second).
 */
export function sandboxReceiptWindowMs(recipients: number, qps: number): number {
  return 120_000 + Math.ceil((2 * recipients * 1000) / qps);
}
