/**
 * `smsq server` and `smsq emulator` given an address they cannot listen on, run in-process
 * (`runCli`): the address is the flag's fault, so the command is refused (exit 2) naming the flag
 * and the fix. Node's `listen EADDRINUSE` used to end them with exit 1, kept for bugs. And where
 * they say they listen: the address they bound, not a loopback URL for every interface.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { EXIT } from '../../src/errors.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collector } from '../support/text-collector.js';

const prefix = uniquePrefix('listen');
const redis = createTestConnection();
let taken: Server;
let port: number;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  port = (taken.address() as { port: number }).port;
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', LOG_LEVEL: 'error', SMSQ_API_TOKEN: 'listen-test-api-token-0123456789', SMSQ_DASHBOARD_TOKEN: 'listen-test-dashboard-token-0123' };
});

afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  await deleteKeys(redis, prefix);
  redis.disconnect();
});

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const stdout = collector();
  const stderr = collector();
  // A command that did start (printed its address) is stopped at once: the test is about the ones
  // that do not. Not before: a signal during start-up stops the command before it listens.
  const started = new Promise<string>((resolve) => {
    const poll = setInterval(() => {
      if (stdout.text === '') return;
      clearInterval(poll);
      resolve('SIGTERM');
    }, 20);
    poll.unref();
  });
  const code = await runCli(args, { stdout, stderr, env: { ...env, ...extraEnv }, waitForShutdown: () => started });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('a port in use', () => {
  it('smsq server --port P: exit 2 naming the port and the fix', async () => {
    const r = await cli(['server', '--host', '127.0.0.1', '--port', String(port)]);
    expect(r.code, r.stderr).toBe(EXIT.refused);
    expect(r.stderr).toContain(`error: port ${port} is in use on 127.0.0.1 (--port): another process listens there. Fix: --port <another>, or stop what listens there`);
    // From the environment, the variable is named.
    const fromEnv = await cli(['server', '--host', '127.0.0.1'], { SMSQ_SERVER_PORT: String(port) });
    expect(fromEnv.code, fromEnv.stderr).toBe(EXIT.refused);
    expect(fromEnv.stderr).toContain(`port ${port} is in use on 127.0.0.1 (SMSQ_SERVER_PORT (or --port))`);
  });

  it('smsq emulator --port P, and --control-port P: exit 2 naming the flag', async () => {
    const api = await cli(['emulator', '--port', String(port)]);
    expect(api.code, api.stderr).toBe(EXIT.refused);
    expect(api.stderr).toContain(`error: port ${port} is in use on 127.0.0.1 (--port): another process listens there. Fix: --port <another>, or stop what listens there`);
    const control = await cli(['emulator', '--port', '0', '--control-port', String(port)]);
    expect(control.code, control.stderr).toBe(EXIT.refused);
    expect(control.stderr).toContain(`error: port ${port} is in use on 127.0.0.1 (--control-port): another process listens there. Fix: --control-port <another>, or stop what listens there`);
  });

  it('smsq emulator --port P --control-port P: refused as a flag conflict before listening', async () => {
    const free = port + 1 <= 65_535 ? port + 1 : port - 1;
    const r = await cli(['emulator', '--port', String(free), '--control-port', String(free)]);
    expect(r.code, r.stderr).toBe(EXIT.refused);
    expect(r.stderr).toContain(`error: --port ${free} and --control-port ${free} are the same port: the API and the control API each need their own. Fix: --control-port `);
    expect(r.stdout).toBe('');
  });
});

describe('a host that cannot be listened on', () => {
  it('smsq server --host "not a host" or 999.1.1.1: refused as a flag (exit 2), not blamed on Redis (it said SMSQ_REDIS_UNAVAILABLE, exit 3)', async () => {
    for (const host of ['not a host', '999.1.1.1', 'http://127.0.0.1', '-x.example']) {
      const r = await cli(['server', '--host', host, '--port', '0']);
      expect(r.code, `${host}: ${r.stderr}`).toBe(EXIT.refused);
      expect(r.stderr).toContain(`error: --host "${host}" must be a host name or IP address. Fix: --host 127.0.0.1 (or 0.0.0.0 inside a container)`);
      expect(r.stderr).not.toMatch(/Redis|REDIS_URL/);
    }
    const fromEnv = await cli(['server', '--port', '0'], { SMSQ_SERVER_HOST: '999.1.1.1' });
    expect(fromEnv.code, fromEnv.stderr).toBe(EXIT.refused);
    expect(fromEnv.stderr).toMatch(/SMSQ_SERVER_HOST.*must be a host name or IP address\. Fix: SMSQ_SERVER_HOST=127\.0\.0\.1/);
    const emulator = await cli(['emulator', '--host', 'not a host', '--port', '0']);
    expect(emulator.code, emulator.stderr).toBe(EXIT.refused);
    expect(emulator.stderr).toContain('error: --host "not a host" must be a host name or IP address. Fix: --host 127.0.0.1 (or 0.0.0.0 inside a container)');
  });

  it('a well-formed host that is not this machine\'s, or does not resolve: exit 2 naming --host or SMSQ_SERVER_HOST', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of a real interface.
    const notMine = await cli(['server', '--host', '192.0.2.1', '--port', '0']);
    expect(notMine.code, notMine.stderr).toBe(EXIT.refused);
    expect(notMine.stderr).toContain('error: --host 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL). Fix: --host 127.0.0.1 (or 0.0.0.0 for every interface), or an address this machine has');
    const unresolved = await cli(['server', '--host', 'no-such-host.invalid', '--port', '0']);
    expect(unresolved.code, unresolved.stderr).toBe(EXIT.refused);
    expect(unresolved.stderr).toMatch(/error: --host no-such-host\.invalid does not resolve to an address \((ENOTFOUND|EAI_AGAIN)\)\. Fix: --host 127\.0\.0\.1/);
    expect(unresolved.stderr).not.toMatch(/Redis|REDIS_URL/);
    const fromEnv = await cli(['server', '--port', '0'], { SMSQ_SERVER_HOST: '192.0.2.1' });
    expect(fromEnv.code, fromEnv.stderr).toBe(EXIT.refused);
    expect(fromEnv.stderr).toContain('error: SMSQ_SERVER_HOST (or --host) 192.0.2.1 is not an address of this machine');
    const emulator = await cli(['emulator', '--host', '192.0.2.1', '--port', '0']);
    expect(emulator.code, emulator.stderr).toBe(EXIT.refused);
    expect(emulator.stderr).toContain('error: --host 192.0.2.1 is not an address of this machine');
  });
});

describe('where it says it listens', () => {
  it('smsq server --host 0.0.0.0 says every interface and gives a local URL to try (it said http://127.0.0.1:PORT as where it listens)', async () => {
    const text = await cli(['server', '--host', '0.0.0.0', '--port', '0']);
    expect(text.code, text.stderr).toBe(0);
    const first = text.stdout.split('\n')[0]!;
    const port = /port (\d+)\)/.exec(first)?.[1];
    expect(first).toBe(`smsq server listening on every interface (0.0.0.0, port ${port}); from this machine: http://127.0.0.1:${port}`);
    expect(text.stdout).toContain(`  REST API:   http://127.0.0.1:${port}/v1`);
    // Scripts parse the --json line: its fields stay, the address bound is added.
    const json = await cli(['server', '--host', '0.0.0.0', '--port', '0', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const info = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ host: '0.0.0.0', everyInterface: true, url: `http://127.0.0.1:${String(info.port)}`, api: `http://127.0.0.1:${String(info.port)}/v1` });
    expect(Object.keys(info)).toEqual(expect.arrayContaining(['url', 'api', 'dashboard', 'metrics', 'openapi', 'readOnlyDashboard', 'insecure']));
    const loopback = JSON.parse((await cli(['server', '--host', '127.0.0.1', '--port', '0', '--json'])).stdout) as Record<string, unknown>;
    expect(loopback).toMatchObject({ host: '127.0.0.1', everyInterface: false, url: `http://127.0.0.1:${String(loopback.port)}` });
    expect((await cli(['server', '--host', '127.0.0.1', '--port', '0'])).stdout.split('\n')[0]).toMatch(/^smsq server listening on http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('smsq emulator --host 0.0.0.0 says every interface, and gives an endpoint to use from this machine (it said SMS_ENDPOINT=0.0.0.0:PORT)', async () => {
    const text = await cli(['emulator', '--host', '0.0.0.0', '--port', '0']);
    expect(text.code, text.stderr).toBe(0);
    const port = /port (\d+)/.exec(text.stdout)?.[1];
    expect(text.stdout.split('\n').slice(0, 3)).toEqual([
      `smsq emulator listening on every interface (0.0.0.0, port ${port}; no SMS leaves this machine)`,
      '  accepts AccessKey ID smsq-sandbox-key with the documented sandbox secret',
      `  use it:  SMS_MODE=sandbox SMS_ENDPOINT=127.0.0.1:${port}`,
    ]);
    const info = JSON.parse((await cli(['emulator', '--host', '0.0.0.0', '--port', '0', '--json'])).stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(info).toMatchObject({ host: '0.0.0.0', endpoint: `0.0.0.0:${String(info.port)}`, everyInterface: true, localEndpoint: `127.0.0.1:${String(info.port)}` });
    const loopback = JSON.parse((await cli(['emulator', '--port', '0', '--json'])).stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(loopback).toMatchObject({ host: '127.0.0.1', everyInterface: false, localEndpoint: loopback.endpoint });
  });
});
