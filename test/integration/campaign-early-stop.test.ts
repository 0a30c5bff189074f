/**
 * `smsq campaign --file ... --yes` stopped before it watches for a signal (its modules loading, its
 * producer opening, a retry of its idempotency key looked for): it ended by Node's default, exit
 * 143 with nothing on stdout or stderr, while docs/cli.md says stderr reads `... before its send
 * was created: nothing was enqueued` (as it did for a stop during the account check). Held in that
 * window by a real redis-server frozen with SIGSTOP, which the command's first look-up (its key's
 * retry) waits for; a real CLI process, stopped once it is connected.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq, SPAWNED_MS, untilExited } from '../support/cli-process.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-campaign-early-stop-'));
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  redis.process.kill('SIGCONT');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether process `pid` has a TCP connection to `port` established: its sockets' inodes (/proc/PID/fd) among /proc/net/tcp's, state 01. */
function connectedTo(pid: number, port: number): boolean {
  let sockets: Set<string>;
  try {
    sockets = new Set(readdirSync(`/proc/${pid}/fd`).map((fd) => /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`))?.[1]).filter((inode): inode is string => inode !== undefined));
  } catch {
    return false; // exited
  }
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[2]?.endsWith(`:${hex}`) === true && fields[3] === '01' && sockets.has(fields[9] ?? '');
    });
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

describe('smsq campaign stopped before it watches for a signal', () => {
  it.each(['', '--json'])('says the campaign was stopped before its send was created, and ends by the signal %s', async (json) => {
    const file = join(dir, 'list.csv');
    writeFileSync(file, `phone\n${Array.from({ length: 50 }, (_, i) => String(13850000000 + i)).join('\n')}\n`);
    const env = { REDIS_URL: redis.url, SMSQ_PREFIX: '{early-stop}', SMS_MODE: 'sandbox', LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
    redis.process.kill('SIGSTOP');
    try {
      const args = ['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"n"}', '--idempotency-key', 'early-stop-1', '--yes', ...(json ? [json] : [])];
      const cli = spawnSmsq(args, env);
      // Connected to the frozen Redis: the command is in its retry look-up, before its stop watch.
      await untilExited(cli, waitFor(() => connectedTo(cli.child.pid as number, redis.port), 'the command to connect to Redis', SPAWNED_MS / 2));
      cli.child.kill('SIGTERM');
      expect(await cli.exited, cli.stderr).toBe('SIGTERM');
      expect(cli.stderr).toContain('SMSQ_CAMPAIGN_STOPPED: the campaign was stopped (SIGTERM) before its send was created: nothing was enqueued');
      if (!json) expect(cli.stdout).toBe('');
      else {
        expect(JSON.parse(cli.stdout)).toEqual({
          sendId: null,
          recipients: 0,
          stopped: { reason: 'interrupted', signal: 'SIGTERM', code: 'SMSQ_CAMPAIGN_STOPPED', sendPaused: false, rowsRead: 0, afterLine: null, wholeList: false },
        });
      }
    } finally {
      redis.process.kill('SIGCONT');
    }
  }, SPAWNED_MS);
});
