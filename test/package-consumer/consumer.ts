/**
 * A Node service using smsq as an installed package: it imports only the public entries, enqueues
 * with the producer API and delivers with a worker against the emulator, then prints what happened
 * as one JSON line. test/integration/package.test.ts installs the packed tarball beside it,
 * compiles it with tsc (strict, NodeNext) and runs it with node. Not compiled with the project.
 */
import { createCatalogLookup, createLogger, createProducer, createRedisConnection, isSmsqError, SendCancelledError, SendNotFoundError, SMSQ_CODES, SmsqError, ValidationError, type EnqueueResult, type MessageKind, type RecipientPage, type RecipientPageRequest, type SendState, type SendWait, type SmsqCode } from 'smsq';
import { createSmsClient, createSmsWorker, type SmsWorkerOptions } from 'smsq/worker';
import { createEmulator, DEFAULT_FIXTURE_NAMES, SANDBOX_ACCESS_KEY, type Emulator } from 'smsq/emulator';

const redisUrl = process.env.REDIS_URL;
const prefix = process.env.SMSQ_PREFIX;
const phones = process.argv.slice(2);
if (!redisUrl || !prefix || phones.length === 0) throw new Error('usage: REDIS_URL=… SMSQ_PREFIX={…} node consumer.js PHONE…');

const emulator: Emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 } });
const { endpoint } = await emulator.listen({ port: 0, host: '127.0.0.1' });
const logger = createLogger({ level: 'warn' });
const producerRedis = createRedisConnection(redisUrl, { role: 'client' });
const workerRedis = createRedisConnection(redisUrl, { role: 'worker' });

const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });

// With the account's catalog, as docs/package.md recommends: the door checks template and params.
const producer = createProducer({ redis: producerRedis, prefix, logger, catalog: createCatalogLookup({ client, redis: producerRedis, prefix, qps: 100 }) });
const workerOptions: SmsWorkerOptions = {
  connection: workerRedis,
  client,
  logger,
  prefix,
  qps: 100,
  readTimeoutMs: 3000,
  repair: null,
};
const worker = createSmsWorker(workerOptions);

/** Never called: the installed types are the real ones, not `any`, so each marked line must fail to compile. */
export function typesAreChecked(result: EnqueueResult): void {
  // @ts-expect-error a worker needs its connection, client, logger, qps and read timeout
  createSmsWorker({ logger });
  // @ts-expect-error a send id is a string
  const sendId: number = result.sendId;
  void sendId;
  // @ts-expect-error a kind is one of three
  const kind: MessageKind = 'promotion';
  void kind;
}

/** Never called: what a campaign cancelled while it was written holds, typed (docs/receipts-and-controls.md). */
export function cancelledWhileWritten(err: unknown): number | undefined {
  return err instanceof SendCancelledError ? err.recipients : undefined;
}

try {
  await worker.start();

  // A refusal crosses the package boundary as the exported class with its stable code.
  let refusal: SmsqCode | undefined;
  try {
    await producer.send({ phones: ['12'], signName: DEFAULT_FIXTURE_NAMES.sign, templateCode: DEFAULT_FIXTURE_NAMES.notificationTemplate });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    // Every smsq error is a SmsqError too: one catch for all of them, the code to tell them apart.
    if (!(err instanceof SmsqError) || !isSmsqError(err)) throw new Error('a ValidationError is not a SmsqError across the package boundary');
    refusal = err.code;
  }

  const sent: EnqueueResult = await producer.send({
    phones,
    signName: DEFAULT_FIXTURE_NAMES.sign,
    templateCode: DEFAULT_FIXTURE_NAMES.notificationTemplate,
    templateParam: { name: 'Ada', order: 'A1' },
  });

  const deadline = Date.now() + 20_000;
  let accepted = 0;
  while ((accepted = (await producer.getStatus(sent.sendId)).counts.accepted) < phones.length) {
    if (Date.now() > deadline) throw new Error(`only ${accepted} of ${phones.length} accepted after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // A send that is not there: the exported class, with its code.
  const notFound = await producer.getStatus('smx0000000000000000000').then(
    () => 'found',
    (err: unknown) => (err instanceof SendNotFoundError ? err.code : `not a SendNotFoundError: ${String(err)}`),
  );

  // The status and recipients through the types the entry exports for them.
  const status = await producer.getStatus(sent.sendId);
  const state: SendState = status.send.state;
  const wait: SendWait | undefined = status.wait;
  const pageRequest: RecipientPageRequest = { limit: phones.length };
  const page: RecipientPage = await producer.recipientPage(sent.sendId, pageRequest);

  console.log(
    JSON.stringify({
      sendId: sent.sendId,
      state,
      waitReason: wait?.reason ?? null,
      pagePhones: page.recipients.map((r) => r.phone),
      recipients: sent.recipients,
      accepted,
      emulatorAccepted: emulator.accepted().flatMap((call) => call.phoneNumbers),
      refusal,
      notFound,
      refusalKnown: refusal !== undefined && refusal in SMSQ_CODES,
    }),
  );
} finally {
  await worker.close();
  await producer.close();
  producerRedis.disconnect();
  workerRedis.disconnect();
  await emulator.close();
}
