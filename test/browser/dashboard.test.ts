/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core logs in to Bull
 * Board through `smsq server` on a real port and finds smsq's queues with their jobs. Run with
 * `npx vitest run test/browser` (it is also part of `npm test`). Without Chromium it is skipped
 * locally but FAILS under CI=true, so a CI that lost its browser cannot pass silently.
 *
 * `SMSQ_UPDATE_SCREENSHOT=1` also writes the screenshot to docs/dashboard.png (the README's picture).
 */
import { existsSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { CHROMIUM, haveChromium, inCi, launchChromium } from '../support/chromium.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const LOGIN = { user: 'ops', password: 'browser-test-password' };

// Locally without Chromium: skipped. Under CI: runs, and fails (not skips) if Chromium is missing.
describe.skipIf(!haveChromium && !inCi)('dashboard in a real browser', () => {
  let h: Harness;
  let app: SmsqServer;
  let url: string;
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let shots: string;

  beforeAll(async () => {
    if (!haveChromium) return; // the first test fails and says why
    h = await createHarness({ label: 'browser' });
    app = await buildServer({
      redis: h.redis,
      prefix: h.prefix,
      producer: h.producer,
      logger: h.logger,
      apiToken: 'browser-test-api-token',
      dashboard: { basicAuth: LOGIN },
      queueNames: ['calls', 'housekeeping'],
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    // Some finished work, then some waiting: the board shows both.
    const done = await h.producer.send({ phones: ['13800138000', '13800138001'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    const worker = await h.startWorker();
    await waitFor(async () => {
      const { counts } = await h.producer.getStatus(done.sendId);
      return (counts.accepted ?? 0) + (counts.delivered ?? 0) === 2;
    }, 'first send accepted');
    await worker.close();
    await h.producer.send({ phones: ['13900139000', '13900139001', '13900139002'], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'Li' }, kind: 'marketing' });
    browser = await launchChromium({ width: 1280, height: 800 });
    context = browser.context;
    shots = browser.shots;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await h?.close();
    await browser?.close();
  });

  it('finds Chromium', () => {
    expect(haveChromium, `${CHROMIUM} is missing, so the dashboard cannot be tested in a browser. Fix: apt-get install -y chromium (in .ci/run)`).toBe(true);
  });

  it('refuses the board without a login, then logs in and lists smsq queues with their jobs', async () => {
    expect(context, 'no browser (see the test above)').toBeDefined();
    // Without a login the board is refused (checked from inside the page, where no login dialog can appear).
    const page = await context!.newPage();
    await page.goto(`${url}/healthz`);
    const refused = await page.evaluate(async () => {
      const r = await fetch('/admin/queues/api/queues', { credentials: 'omit' });
      return { status: r.status, challenge: r.headers.get('www-authenticate'), body: await r.text() };
    });
    expect(refused.status).toBe(401);
    expect(refused.challenge).toMatch(/^Basic /);
    expect(refused.body).toContain('SMSQ_UNAUTHORIZED');

    await context!.setHTTPCredentials({ username: LOGIN.user, password: LOGIN.password, origin: url });
    const page2 = await context!.newPage();
    const ok = await page2.goto(`${url}/admin/queues`);
    expect(ok?.status()).toBe(200);
    expect(await page2.title()).toBe('smsq');
    // The UI fetches /admin/queues/api/queues with the same login and renders each queue.
    await page2.getByText('calls', { exact: true }).first().waitFor({ timeout: 20_000 });
    await page2.getByText('housekeeping', { exact: true }).first().waitFor({ timeout: 20_000 });
    // The overview draws each queue with its job counts once the API answered.
    await page2.waitForFunction("!document.body.innerText.includes('Loading...') && /completed/i.test(document.body.innerText)", undefined, { timeout: 20_000 });
    const text = await page2.innerText('body');
    expect(text).toMatch(/calls\s+No workers\s+\d+ Jobs/);
    expect(text).toMatch(/housekeeping\s+No workers\s+\d+ Jobs/);
    const file = join(shots, 'dashboard.png');
    await page2.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    if (process.env.SMSQ_UPDATE_SCREENSHOT === '1') copyFileSync(file, join(process.cwd(), 'docs', 'dashboard.png'));
  }, 60_000);
});
