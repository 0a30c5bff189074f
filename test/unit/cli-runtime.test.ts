/** openSmsRuntime in each mode, and the CLI's log destination. No Redis. */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliLogDestination } from '../../cli/log-destination.js';
import { loadConfig } from '../../src/config.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { openSmsRuntime } from '../../src/runtime/sms-runtime.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

describe('openSmsRuntime', () => {
  let standalone: Emulator;
  let endpoint: string;

  beforeAll(async () => {
    standalone = createEmulator();
    ({ endpoint } = await standalone.listen());
  });
  afterAll(async () => {
    await standalone.close();
  });

  it('sandbox without an endpoint: starts an emulator on loopback, warns, and stops it on close', async () => {
    const { lines, logger } = capture();
    const runtime = await openSmsRuntime({ config: loadConfig({}), logger });
    expect(runtime.sandbox).toBe(true);
    expect(runtime.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(runtime.endpoint).not.toBe(endpoint);
    const warning = lines.find((l) => l.level === 40);
    expect(warning?.msg).toMatch(new RegExp(`^SANDBOX MODE: no SMS leaves this machine; calls go to the smsq emulator at ${runtime.endpoint}`));
    const sign = await runtime.client.getSmsSign(N.sign);
    expect(sign.ok && sign.data.signStatus).toBe(1);
    await runtime.close();
    await runtime.close(); // twice is fine
    const after = await runtime.client.getSmsSign(N.sign);
    expect(after.ok).toBe(false);
  });

  it('sandbox with an endpoint: uses that emulator, signing with the sandbox pair', async () => {
    const { lines, logger } = capture();
    const before = standalone.calls().length;
    const runtime = await openSmsRuntime({ config: loadConfig({ SMS_ENDPOINT: endpoint }), logger });
    expect(runtime).toMatchObject({ sandbox: true, endpoint });
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes(`emulator at ${endpoint}`))).toBe(true);
    const list = await runtime.client.querySmsTemplateList({ pageIndex: 1, pageSize: 5 });
    expect(list.ok).toBe(true);
    expect(standalone.calls().length - before).toBe(1);
    await runtime.close();
  });

  it('live: no emulator, no sandbox warning, the configured endpoint', async () => {
    const { lines, logger } = capture();
    const runtime = await openSmsRuntime({ config: loadConfig({ SMS_MODE: 'live' }), logger });
    expect(runtime).toMatchObject({ sandbox: false, endpoint: 'dysmsapi.aliyuncs.com' });
    expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
    await runtime.close();
  });
});

describe('CLI log destination', () => {
  function sink() {
    let text = '';
    return { write: (s: string) => void (text += s), get text() { return text; } };
  }

  it('keeps JSON lines off a terminal, and writes one readable line each on a terminal', () => {
    const json = sink();
    createLogger({}, createCliLogDestination(json, false)).warn({ phone: '13800138000', endpoint: 'x:1' }, 'hello');
    expect(JSON.parse(json.text)).toMatchObject({ level: 40, msg: 'hello', phone: '138****8000' });

    const tty = sink();
    createLogger({}, createCliLogDestination(tty, true)).warn({ phone: '13800138000', endpoint: 'x:1' }, 'hello');
    expect(tty.text).toBe('WARN  hello  phone=138****8000 endpoint=x:1\n');
  });
});
