/**
 * smsq as a Node service gets it: `npm pack`, the tarball installed into a scratch project, a
 * TypeScript consumer (test/package-consumer) compiled against the installed types (strict,
 * NodeNext) and run with node: it enqueues with the producer API of `smsq`, delivers with the worker
 * of `smsq/worker` against the emulator of `smsq/emulator`, on the suite's Redis. Deep imports fail.
 *
 * `npm install` fetches the package's dependencies from the registry (from the npm cache when it
 * has them). Without the registry this test fails and says so; it never skips.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { freshDist } from '../support/fresh-dist.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONSUMER = join(ROOT, 'test', 'package-consumer');
const SETUP_TIMEOUT_MS = 240_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeout = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`));
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
  });
}

function mustSucceed(what: string, result: Run): Run {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

const NETWORK_FAILURE = /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH)|ETIMEDOUT|network|getaddrinfo/i;

let work: string;
let scratch: string;
let packedFiles: string[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'smsq-package-'));
  scratch = join(work, 'consumer');

  await freshDist(ROOT);
  // --ignore-scripts: prepack would build again; dist was just checked or built.
  const pack = mustSucceed('npm pack', await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT));
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  packedFiles = packed!.files.map((f) => f.path);

  await mkdir(scratch);
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'smsq-consumer', private: true, type: 'module' }));
  await copyFile(join(CONSUMER, 'consumer.ts'), join(scratch, 'consumer.ts'));
  await copyFile(join(CONSUMER, 'tsconfig.json'), join(scratch, 'tsconfig.json'));
  // The same @types/node as the project's, so the npm cache usually has it.
  const typesNode = (JSON.parse(await readFile(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;
  const install = await run('npm', ['install', join(work, packed!.filename), `@types/node@${typesNode}`, '--prefer-offline', '--no-audit', '--no-fund'], scratch);
  if (install.code !== 0) {
    const reason = NETWORK_FAILURE.test(install.stderr)
      ? 'npm install could not reach the npm registry to fetch smsq\'s dependencies; this test needs it (or an npm cache that has them) and does not skip'
      : `npm install of the packed tarball exited ${install.code}`;
    throw new Error(`${reason}:\n${install.stderr}`);
  }
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('ships the compiled entries with their types, the CLI, and no source maps or tests', () => {
    for (const entry of ['index', 'worker', 'server', 'emulator']) {
      expect(packedFiles).toContain(`dist/exports/${entry}.js`);
      expect(packedFiles).toContain(`dist/exports/${entry}.d.ts`);
    }
    expect(packedFiles).toContain('dist/cli/main.js');
    expect(packedFiles.filter((f) => f.endsWith('.map') || f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });

  it('ships the Apache-2.0 LICENSE package.json names, and the docs pages README links to (not their images)', async () => {
    expect((JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { license: string }).license).toBe('Apache-2.0');
    expect(packedFiles).toContain('LICENSE');
    expect(await readFile(join(scratch, 'node_modules', 'smsq', 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    const linked = [...(await readFile(join(ROOT, 'README.md'), 'utf8')).matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1] as string);
    expect(linked.length).toBeGreaterThan(10); // the scan itself works
    expect([...new Set(linked)].filter((page) => !packedFiles.includes(page))).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith('docs/') && !f.endsWith('.md'))).toEqual([]);
  });

  it('a TypeScript consumer compiles against the installed types and delivers through the emulator', { timeout: 60_000 }, async () => {
    mustSucceed('tsc (consumer)', await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], scratch));

    const prefix = uniquePrefix('package');
    const phones = ['13800138000', '13900139000', '13700137000'];
    const redis = createTestConnection();
    try {
      const consumer = mustSucceed(
        'node consumer.js',
        await run(process.execPath, ['out/consumer.js', ...phones], scratch, { ...process.env, REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix }, 45_000),
      );
      const result = JSON.parse(consumer.stdout.trim().split('\n').at(-1)!) as {
        sendId: string;
        state: string;
        pagePhones: string[];
        recipients: number;
        accepted: number;
        emulatorAccepted: string[];
        refusal: string;
        notFound: string;
        refusalKnown: boolean;
      };
      expect(result).toMatchObject({ recipients: 3, accepted: 3, refusal: 'SMSQ_INVALID_REQUEST', notFound: 'SMSQ_NOT_FOUND', refusalKnown: true });
      expect([...result.emulatorAccepted].sort()).toEqual([...phones].sort());
      expect(['sent', 'completed']).toContain(result.state); // every recipient past the API; receipts come 50 ms later
      expect([...result.pagePhones].sort()).toEqual([...phones].sort());

      // The installed package wrote what the project's own code reads.
      const producerRedis = createProducerConnection();
      const producer = createProducer({ redis: producerRedis, prefix });
      const status = await producer.getStatus(result.sendId);
      expect(status.counts.accepted).toBe(3);
      await producer.close();
      producerRedis.disconnect();
    } finally {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });

  it('loads with require() on this Node (require(esm), Node >= 20.19 and >= 22.12), and fails with ERR_REQUIRE_ESM where that is off, as docs/package.md "CommonJS" says', async () => {
    const load = "const m = require('smsq'); const w = require('smsq/worker'); console.log(typeof m.createProducer, typeof w.createSmsWorker)";
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if ((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22) {
      expect(mustSucceed('require smsq', await run(process.execPath, ['--input-type=commonjs', '-e', load], scratch)).stdout.trim()).toBe('function function');
      // As Node 20.6 to 20.18 load it.
      expect((await run(process.execPath, ['--no-experimental-require-module', '--input-type=commonjs', '-e', load], scratch)).stderr).toContain('ERR_REQUIRE_ESM');
    } else {
      expect((await run(process.execPath, ['--input-type=commonjs', '-e', load], scratch)).stderr).toContain('ERR_REQUIRE_ESM');
    }
  });

  it('keeps everything else private: a deep import fails with ERR_PACKAGE_PATH_NOT_EXPORTED', async () => {
    const deep = await run(process.execPath, ['--input-type=module', '-e', "await import('smsq/producers/producer.js')"], scratch);
    expect(deep.code).not.toBe(0);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('loads exceljs and its zip reader (yauzl) only when a workbook is read, not with the package entry', async () => {
    // Both are CommonJS: whatever loads them, their files land in the CommonJS module cache.
    const loaded = (entryWork: string) =>
      `const { createRequire } = await import('node:module'); ${entryWork}; const files = Object.keys(createRequire(process.cwd() + '/x.js').cache); ` +
      "console.log(['exceljs', 'yauzl'].map((name) => files.some((f) => f.includes(`/node_modules/${name}/`))).join(' '))";
    const entry = mustSucceed('import smsq', await run(process.execPath, ['--input-type=module', '-e', loaded("await import('smsq')")], scratch));
    expect(entry.stdout.trim()).toBe('false false');
    // A workbook that is not one: the reader loads exceljs, which then refuses the bytes.
    await writeFile(join(scratch, 'not-a-workbook.xlsx'), 'phone\n13800138000\n');
    const read = "const { readRecipientsFile } = await import('smsq'); try { for await (const row of readRecipientsFile('not-a-workbook.xlsx')) void row; } catch {}";
    const workbook = mustSucceed('read a workbook', await run(process.execPath, ['--input-type=module', '-e', loaded(read)], scratch));
    expect(workbook.stdout.trim()).toBe('true true');
  });

  it('loads the Alibaba SDK only when an SMS client is created, not with the package entry (~40 MB resident)', async () => {
    // The SDK is CommonJS: whatever loads it, its files land in the CommonJS module cache.
    const loaded = (entryWork: string) =>
      `const { createRequire } = await import('node:module'); ${entryWork}; ` +
      "console.log(Object.keys(createRequire(process.cwd() + '/x.js').cache).some((f) => f.includes('/node_modules/@alicloud/dysmsapi20170525/')))";
    const entry = mustSucceed('import smsq', await run(process.execPath, ['--input-type=module', '-e', loaded("const m = await import('smsq'); m.createProducer")], scratch));
    expect(entry.stdout.trim()).toBe('false');
    // A client that calls nowhere (port 9: nothing listens): its creation loads the SDK, and its call answers as an SmsOutcome.
    const call =
      "const { createSmsClient } = await import('smsq'); const client = createSmsClient({ endpoint: '127.0.0.1:9', protocol: 'http', readTimeoutMs: 500, credential: { kind: 'access-key', accessKeyId: 'id', accessKeySecret: 'secret' } }); " +
      "const outcome = await client.getSmsSign('x'); if (outcome.ok) throw new Error('answered')";
    const client = mustSucceed('create a client', await run(process.execPath, ['--input-type=module', '-e', loaded(call)], scratch));
    expect(client.stdout.trim()).toBe('true');
  });

  it('serves smsq/server (buildServer without listening) and the smsq bin', async () => {
    const server = mustSucceed(
      'import smsq/server',
      await run(process.execPath, ['--input-type=module', '-e', "const m = await import('smsq/server'); console.log(typeof m.buildServer, typeof m.openReportIngest)"], scratch),
    );
    expect(server.stdout.trim()).toBe('function function');
    const version = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const bin = mustSucceed('smsq --version', await run(join(scratch, 'node_modules', '.bin', 'smsq'), ['--version'], scratch));
    expect(bin.stdout.trim()).toBe(version.version);
  });
});
