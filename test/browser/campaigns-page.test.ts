/**
 * The campaigns page in a real browser: Debian's Chromium driven by playwright-core logs in to
 * `smsq server` on a real port, watches a running send's bar move by the page's own refresh,
 * pauses it with its button and sees it paused (and its bar stop), opens the send's page (counts
 * over time, masked recipients), and follows the links between the page and Bull Board both ways.
 * Run with `npx vitest run test/browser`. Without Chromium it is skipped locally but FAILS under
 * CI=true, like the dashboard's test.
 *
 * `SMSQ_UPDATE_SCREENSHOT=1` also writes docs/campaigns.png and docs/campaign-send.png.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { CHROMIUM, haveChromium, inCi, launchChromium } from '../support/chromium.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const LOGIN = { user: 'ops', password: 'browser-test-password' };
/** Verification codes go one number per call: at 2 calls a second, 40 of them take twenty seconds. */
const PHONES = Array.from({ length: 40 }, (_, i) => String(13800138000 + i));

/** The progress a row's bar shows now: recipients past the API. */
async function doneOf(page: Page, sendId: string): Promise<number> {
  return Number(await page.locator(`tr[data-send="${sendId}"] .bar`).getAttribute('data-done'));
}

/** The bar's count once it has not moved for 3 s (read every 500 ms, for up to 20 s). */
async function settledDoneOf(page: Page, sendId: string): Promise<number> {
  let last = await doneOf(page, sendId);
  let since = Date.now();
  const deadline = Date.now() + 20_000;
  while (Date.now() - since < 3000) {
    if (Date.now() > deadline) throw new Error(`the bar of ${sendId} was still moving after 20 s (at ${last})`);
    await new Promise((r) => setTimeout(r, 500));
    const now = await doneOf(page, sendId);
    if (now !== last) [last, since] = [now, Date.now()];
  }
  return last;
}

describe.skipIf(!haveChromium && !inCi)('campaigns page in a real browser', () => {
  let h: Harness;
  let app: SmsqServer;
  let url: string;
  let context: BrowserContext | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let shots: string;

  beforeAll(async () => {
    if (!haveChromium) return; // the first test fails and says why
    h = await createHarness({ label: 'browser-campaigns' });
    app = await buildServer({
      redis: h.redis,
      prefix: h.prefix,
      producer: h.producer,
      logger: h.logger,
      apiToken: 'browser-test-api-token',
      dashboard: { basicAuth: LOGIN, readOnly: false },
      queueNames: ['calls', 'housekeeping'],
    });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium({ width: 1360, height: 720 });
    context = browser.context;
    shots = browser.shots;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await h?.close();
    await browser?.close();
  });

  const keep = (page: Page, name: string) => async () => {
    const file = join(shots, name);
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    if (process.env.SMSQ_UPDATE_SCREENSHOT === '1') copyFileSync(file, join(process.cwd(), 'docs', name));
  };

  it('finds Chromium', () => {
    expect(haveChromium, `${CHROMIUM} is missing, so the campaigns page cannot be tested in a browser. Fix: apt-get install -y chromium (in .ci/run)`).toBe(true);
  });

  it('logs in, sees a running send\'s bar move, pauses it and sees it paused, then opens its page', async () => {
    expect(context, 'no browser (see the test above)').toBeDefined();
    const page = await context!.newPage();
    // Without a login the page is refused (checked from inside the page, where no login dialog can appear).
    await page.goto(`${url}/healthz`);
    expect(await page.evaluate(async () => (await fetch('/admin/campaigns', { credentials: 'omit' })).status)).toBe(401);

    // A finished send with a failure code, then the running one (verification codes go first, so
    // the failing notification is sent before the codes start).
    const failing = await h.producer.send({ phones: ['13900139000', '13900139001'], signName: N.sign, templateCode: N.notificationTemplate, name: 'order-updates' });
    await h.startWorker({ qps: 2, concurrency: 1 });
    await waitFor(async () => (await h.producer.getStatus(failing.sendId)).counts.failed === 2, 'the failing send failed');
    await context!.setHTTPCredentials({ username: LOGIN.user, password: LOGIN.password, origin: url });
    const running = await h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification', name: 'login-codes' });
    expect((await page.goto(`${url}/admin/campaigns`))?.status()).toBe(200);
    const first = await doneOf(page, running.sendId);
    expect(first).toBeLessThan(PHONES.length);

    // No reload: the page refreshes itself every 2 s, and the bar moves.
    const moved = (before: number) => waitFor(async () => (await doneOf(page, running.sendId)) > before, `the bar to move past ${before}`, 20_000, 200);
    await moved(first);
    await moved(await doneOf(page, running.sendId));
    expect(await page.locator(`tr[data-send="${failing.sendId}"]`).innerText()).toContain('isv.TEMPLATE_MISSING_PARAMETERS');
    await keep(page, 'campaigns.png')();

    await page.locator(`button[data-action="pause"][data-send="${running.sendId}"]`).click();
    await page.locator(`tr[data-send="${running.sendId}"] .state`, { hasText: 'paused' }).waitFor({ timeout: 10_000 });
    await page.locator(`button[data-action="resume"][data-send="${running.sendId}"]`).waitFor({ timeout: 10_000 });
    expect((await h.producer.getStatus(running.sendId)).send.control).toBe('paused');
    // Paused: what was in flight finishes (on a loaded machine a call may take seconds), then the
    // bar stops short of the end.
    const held = await settledDoneOf(page, running.sendId);
    await new Promise((r) => setTimeout(r, 4500));
    expect(await doneOf(page, running.sendId)).toBe(held);
    expect(held).toBeLessThan(PHONES.length);

    await page.locator(`tr[data-send="${running.sendId}"] a`, { hasText: 'login-codes' }).click();
    await page.waitForURL(`${url}/admin/campaigns/${running.sendId}`);
    await page.locator('figure.chart svg polyline').first().waitFor({ timeout: 10_000 });
    const text = await page.innerText('main');
    expect(text).toContain('138****8000');
    expect(text).not.toContain('13800138000');
    expect(text).toMatch(/paused/);
    await keep(page, 'campaign-send.png')();
  }, 90_000);

  it('links the page and Bull Board both ways', async () => {
    expect(context, 'no browser (see the first test)').toBeDefined();
    const page = await context!.newPage();
    await page.goto(`${url}/admin/campaigns`);
    await page.getByRole('link', { name: /Bull Board/ }).click();
    await page.waitForURL(`${url}/admin/queues`);
    await page.getByText('calls', { exact: true }).first().waitFor({ timeout: 20_000 });
    // Bull Board's header menu (its miscLinks option) leads back.
    const link = page.getByText('Campaigns (smsq sends)');
    if (!(await link.isVisible())) await page.locator('header ul li:last-child button').last().click();
    await link.click();
    await page.waitForURL(`${url}/admin/campaigns`);
    expect(await page.title()).toBe('smsq campaigns');
  }, 60_000);
});
