/**
 * Which SmsUp replies opt a number out of marketing, through a real `smsq server` (run in-process
 * by runCli, on a real port, against the private Redis) that receives the push over HTTP: the
 * default words, `R` among them (Alibaba's marketing templates end "拒收请回复R", the emulator's
 * too, so a reply of R left the number on the list it asked to leave), and the words an operator
 * sets with SMSQ_OPT_OUT_WORDS.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createProducer } from '../../producers/producer.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startSmsqServer } from '../support/smsq-server.js';

const REPORT_TOKEN = 'opt-out-report-token-0123456789';
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const redis = createTestConnection();
const producerRedis = createProducerConnection();
const prefixes: string[] = [];
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const p of prefixes.splice(0)) await deleteKeys(redis, p);
});

afterAll(() => {
  redis.disconnect();
  producerRedis.disconnect();
});

/** `smsq server` on a deployment of its own, numbers already sent to there; stopped after the test. */
async function deployment(label: string, env: Record<string, string>, sentTo: string[]) {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  const producer = createProducer({ redis: producerRedis, prefix });
  try {
    await producer.send({ ...NOTE, phones: sentTo });
  } finally {
    await producer.close();
  }
  const server = await startSmsqServer(
    { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', LOG_LEVEL: 'warn', SMSQ_REPORT_TOKEN: REPORT_TOKEN, ...env },
    ['--insecure'],
  );
  stops.push(async () => expect(await server.stop()).toBe(0));
  const { url } = server;
  const reply = async (phone: string, content: string) => {
    const res = await fetch(`${url}/v1/reports/sms-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-smsq-report-token': REPORT_TOKEN },
      body: JSON.stringify([{ phone_number: phone, content, send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: 1 }]),
    });
    expect(res.status).toBe(200);
  };
  const optedOut = async () => (await redis.smembers(`${prefix}:suppressed`)).sort();
  return { reply, optedOut };
}

describe('opt-out replies', () => {
  it('R, as the marketing templates ask, opts out by default, in any case or width, as TD, T and 退订 do; other words do not', async () => {
    const numbers = ['13855000001', '13855000002', '13855000003', '13855000004', '13855000005', '13855000006'];
    const d = await deployment('optout-default', {}, numbers);
    await d.reply('13855000001', 'R');
    await d.reply('13855000002', 'r');
    await d.reply('13855000003', 'Ｒ。');
    await d.reply('13855000004', 'TD');
    await d.reply('13855000005', 'thanks');
    await d.reply('13855000006', 'RR');
    expect(await d.optedOut()).toEqual(['13855000001', '13855000002', '13855000003', '13855000004']);
  });

  it('SMSQ_OPT_OUT_WORDS sets the words: STOP opts out, TD no longer does', async () => {
    const numbers = ['13856000001', '13856000002', '13856000003'];
    const d = await deployment('optout-words', { SMSQ_OPT_OUT_WORDS: 'STOP, 退订' }, numbers);
    await d.reply('13856000001', 'stop');
    await d.reply('13856000002', 'TD');
    await d.reply('13856000003', '【退订】');
    expect(await d.optedOut()).toEqual(['13856000001', '13856000003']);
  });
});
