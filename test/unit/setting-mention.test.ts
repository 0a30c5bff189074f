/** Settings named in a fix, written once (the Node API's field) and respelled by each surface. */
import { describe, expect, it } from 'vitest';
import { IdempotencyKeyReusedError, ValidationError } from '../../src/errors.js';
import { inClientOptionTerms, inEnvironmentTerms, mention, quoted, respell } from '../../src/setting-mention.js';
import { inFlagTerms } from '../../cli/request-flags.js';
import { inQueryTerms } from '../../server/upload-settings.js';

describe('mention and respell', () => {
  it('writes a setting as the request field, its value as JSON, and reads it back for a surface to write its own way', () => {
    expect(mention('kind', 'marketing')).toBe('`kind: "marketing"`');
    expect(mention('templateParam', { name: '...' })).toBe('`templateParam: {"name":"..."}`');
    expect(mention('encoding')).toBe('`encoding`');
    const seen: unknown[] = [];
    const text = respell(`a ${mention('kind', 'verification')} b ${mention('templateParam', { a: 'x`y' })} c ${mention('sheet')}`, (setting, value) => {
      seen.push([setting, value]);
      return `<${setting}>`;
    });
    expect(text).toBe('a <kind> b <templateParam> c <sheet>');
    // A backtick in a value does not end its mention.
    expect(seen).toEqual([['kind', 'verification'], ['templateParam', { a: 'x`y' }], ['sheet', undefined]]);
  });

  it('leaves other backticked text alone: a command, a setting it does not know, a value that is not JSON', () => {
    const text = 'see `smsq templates`, `colour: "x"`, `kind: marketing`';
    expect(respell(text, () => 'X')).toBe(text);
  });
});

describe('a call or a deployment setting a fix names', () => {
  it('writes a call as the Node API makes it, its argument as JSON, and each process configured by the environment says the command', () => {
    expect(mention('producer.cancel', 'smx1')).toBe('`producer.cancel("smx1")`');
    expect(mention('createSmsWorker')).toBe('`createSmsWorker`');
    expect(mention('redis', 'redis://h:6379')).toBe('`redis: "redis://h:6379"`');
    const text = `at ${mention('redis', 'redis://h:6379')}, ${mention('producer.getStatus', 'smx1')}, ${mention('producer.recipientPage', 'smx1')}, ${mention('producer.cancel', 'smx1')}, ${mention('createSmsWorker')} options, ${mention('repair.enqueueGraceMs')}, ${mention('connectTimeoutMs')}, ${mention('durability.timeoutMs')}, ${mention('redis')}`;
    const said = 'at REDIS_URL=redis://h:6379, smsq status smx1, smsq status smx1 --recipients, smsq campaign cancel smx1, smsq worker options, SMSQ_REPAIR_ENQUEUE_GRACE_MS, SMSQ_REDIS_CONNECT_TIMEOUT_MS, SMSQ_DURABILITY_TIMEOUT_MS, REDIS_URL';
    expect(inEnvironmentTerms(text)).toBe(said);
    expect(inFlagTerms(text)).toBe(said);
    // A call written as a setting, or a setting as a call, is not a mention.
    const odd = '`producer.cancel: "smx1"`, `kind("marketing")`, `producerXgetStatus("smx1")`';
    expect(inEnvironmentTerms(odd)).toBe(odd);
  });

  it('writes the durability mode and its replica count as a Node caller gives them, and the environment as it always said them (a Node producer was told to set SMSQ_DURABILITY=none)', () => {
    const text = `${mention('durability.mode', 'fsync+replicas')}, ${mention('durability.mode')}, ${mention('durability.replicas', 2)}, ${mention('durability.replicas')}`;
    expect(text).toBe('`durability.mode: "fsync+replicas"`, `durability.mode`, `durability.replicas: 2`, `durability.replicas`');
    const said = 'SMSQ_DURABILITY=fsync+replicas, SMSQ_DURABILITY, SMSQ_DURABILITY_REPLICAS=2, SMSQ_DURABILITY_REPLICAS';
    expect(inEnvironmentTerms(text)).toBe(said);
    expect(inFlagTerms(text)).toBe(said);
  });
});

describe('inQueryTerms: an upload\'s refusal in the terms of its query string', () => {
  it('names a setting query.<name> and writes its fix as a query parameter; a line of the body as it is', () => {
    const err = inQueryTerms(
      new ValidationError([
        { field: 'kind', message: `SMS_1 is a marketing (type 2) template. Fix: ${mention('kind', 'marketing')}` },
        { field: 'templateParam.name', message: 'is empty' },
        { field: '(body):1', message: `Fix: ${mention('templateParam', { order: '...' })}, or ${mention('sheet', '名单')}, or drop ${mention('encoding')}` },
        { field: 'query.kind', message: 'as it was' },
      ]),
    ) as ValidationError;
    expect(err.issues).toEqual([
      { field: 'query.kind', message: 'SMS_1 is a marketing (type 2) template. Fix: `?kind=marketing`' },
      { field: 'query.templateParam.name', message: 'is empty' },
      { field: '(body):1', message: 'Fix: `?templateParam={"order":"..."}` (percent-encoded), or `?sheet=%E5%90%8D%E5%8D%95`, or drop `?encoding=`' },
      { field: 'query.kind', message: 'as it was' },
    ]);
    const other = new Error('not a refusal');
    expect(inQueryTerms(other)).toBe(other);
  });

  it('names the recipient file by the upload\'s Content-Type, which is what tells a workbook from a CSV list there (an upload has no file name)', () => {
    const err = inQueryTerms(new ValidationError([{ field: '(body)', message: `Fix: ${mention('file', 'list.xlsx')}, or ${mention('file', 'list.csv')}` }])) as ValidationError;
    expect(err.issues).toEqual([{ field: '(body)', message: 'Fix: `Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, or `Content-Type: text/csv`' }]);
  });

  it('names the settings an idempotency key\'s earlier upload had otherwise as query parameters', () => {
    const err = inQueryTerms(new IdempotencyKeyReusedError('k', ['kind', 'name'], 'marketing')) as IdempotencyKeyReusedError;
    expect(err).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(err.message).toBe('the idempotency key "k" stands for an earlier request whose `?kind=` and `?name=` were different (a request without `?kind=` counts as `?kind=marketing`); nothing was enqueued. Fix: to repeat that request, give it the same `?kind=` and `?name=` as the first; for a new request, use a new idempotency key');
    expect(err.keyIssue).toBe('stands for an earlier request whose `?kind=` and `?name=` were different. Fix: to repeat that request, give it the same `?kind=` and `?name=` as the first; for a new request, use a new idempotency key');
  });
});

describe('a caller\'s own text in a message, and a message converted twice', () => {
  it('quotes a caller\'s text so that no surface reads a mention in it: JSON.parse gives it back as given', () => {
    const reason = 'stop: see `redis` and `producer.cancel("smx2")`';
    const text = `cancelled (${quoted(reason)}); ${mention('producer.recipientPage', 'smx1')}`;
    expect(inEnvironmentTerms(text)).toBe(`cancelled (${quoted(reason)}); smsq status smx1 --recipients`);
    expect(inFlagTerms(text)).toBe(`cancelled (${quoted(reason)}); smsq status smx1 --recipients`);
    expect(JSON.parse(quoted(reason))).toBe(reason);
    expect(quoted('cancelled by an operator')).toBe('"cancelled by an operator"');
  });

  it('respells a mention once: converting twice leaves the text as converting once (a value holding backticks is written with %60)', () => {
    const once = inEnvironmentTerms(mention('redis', 'redis://h:6379/0?x=`producer.cancel("smx2")`'));
    expect(once).toBe('REDIS_URL=redis://h:6379/0?x=%60producer.cancel("smx2")%60');
    expect(inEnvironmentTerms(once)).toBe(once);
  });

  it('a call named without its send id (only text can: the type of mention requires it) is said with ID, not "undefined"', () => {
    expect(inEnvironmentTerms('see `producer.cancel` and `producer.recipientPage`')).toBe('see smsq campaign cancel ID and smsq status ID --recipients');
    // @ts-expect-error a call's mention takes the send's id
    expect(mention('producer.cancel')).toBe('`producer.cancel`');
  });
});

describe("the Dysmsapi client's settings", () => {
  it("are said to a Node caller as createSmsClient's options, and back as the client's errors say them (a producer's account check said SMS_ENDPOINT=… to a caller that had passed endpoint)", () => {
    const client = 'the connection to SMS_ENDPOINT=127.0.0.1:8081 was refused (ECONNREFUSED): nothing listens there. Start what SMS_ENDPOINT names, correct SMS_ENDPOINT, or SMS_PROTOCOL=http; within SMS_READ_TIMEOUT_MS=2000. Check SMS_ENDPOINT.';
    const node = inClientOptionTerms(client);
    expect(node).toBe('the connection to `endpoint: "127.0.0.1:8081"` was refused (ECONNREFUSED): nothing listens there. Start what `endpoint` names, correct `endpoint`, or `protocol: "http"`; within `readTimeoutMs: 2000`. Check `endpoint`.');
    expect(inEnvironmentTerms(node)).toBe(client);
    // Another variable that starts the same is not one of them.
    expect(inClientOptionTerms('SMS_ENDPOINT_X=1 SMS_MODE=live')).toBe('SMS_ENDPOINT_X=1 SMS_MODE=live');
  });
});
