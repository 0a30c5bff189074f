/**
 * A send whose receipts come by push only, to a `smsq server` whose Redis connection runs through a
 * command trap (test/support/command-trap.ts) in front of a crashable redis-server (appendfsync
 * always): a test kills Redis at the exact command a push reaches. A worker with the callback
 * secret runs (its repair sweep rounds an hour apart: the test runs them), and a receiver checks
 * each callback's signature. For the crash tests of a send's end (settle-crash, compaction-crash).
 */
import { createHash } from 'node:crypto';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { luaSource } from '../../src/queue/lua-source.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { startCommandTrap } from './command-trap.js';
import { startCrashableRedis } from './crashable-redis.js';
import { ingestFor, startSignedReceiver } from './ingest.js';
import { createHarness } from './pipeline.js';
import { waitFor } from './wait.js';

export const CALLBACK_SECRET = 'the-producers-callback-secret';
const REPORT_TOKEN = 'report-token-abcdef0123456789';
const NONE = { mode: 'none', sampleRate: 0 } as const;

/** What a call of one of smsq's scripts carries: its SHA (EVALSHA) or the start of its text (EVAL). */
export function scriptCall(script: string): string[] {
  const { lua } = luaSource(script);
  return [createHash('sha1').update(lua).digest('hex'), lua.slice(0, 120)];
}

/** The set-up, `phones` accepted; `push(phone)` pushes that recipient's DELIVERED report. `defer` gets what to close. */
export async function startTrappedReportServer(label: string, phones: readonly string[], defer: (close: () => Promise<void> | void) => void) {
  const redisServer = await startCrashableRedis({ appendfsync: 'always' });
  defer(() => redisServer.stop());
  const trap = await startCommandTrap({ port: redisServer.port });
  defer(() => trap.close());
  const h = await createHarness({ label, redisUrl: redisServer.url });
  defer(() => h.close());
  const receiver = await startSignedReceiver(CALLBACK_SECRET);
  defer(() => receiver.close());
  const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, callbacks: true });
  defer(() => producer.close());
  // The server's connection is a `client` one, as `smsq server` opens it.
  const serverRedis = createRedisConnection(`redis://127.0.0.1:${trap.port}`, { role: 'client' });
  defer(() => void serverRedis.disconnect());
  const { ingest, close } = ingestFor({ ...h, redis: serverRedis });
  defer(close);
  const app = await buildServer({ redis: serverRedis, prefix: h.prefix, producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token: REPORT_TOKEN } });
  defer(() => app.close());
  const worker = await h.startWorker({ receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE }, callbackSecret: CALLBACK_SECRET, repair: { intervalMs: 3_600_000, minAgeMs: 0 } });
  const { sendId } = await producer.send({ signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', phones: [...phones], callbackUrl: receiver.url });
  await waitFor(async () => (await producer.getStatus(sendId)).counts.accepted === phones.length, 'every recipient accepted');
  const { outId, bizId } = h.emulator.accepted()[0]!;
  const report = (phone: string) => ({ phone_number: phone, send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:03', success: true, err_code: 'DELIVERED', err_msg: '用户接收成功', sms_size: '1', biz_id: bizId, out_id: outId });
  const push = (phone: string) => app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [report(phone)] });
  return { redisServer, trap, h, worker, producer, receiver, sendId, push };
}
