/**
 * Debian's Chromium for the browser tests (test/browser), driven by playwright-core. Without it the
 * tests are skipped locally but run, and fail, under CI=true, so a CI that lost its browser cannot
 * pass silently (.ci/run installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export { inCi } from './ci.js';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const haveChromium = existsSync(CHROMIUM);

/** A headless Chromium with a fresh profile, and a folder for its screenshots; `close` removes both. */
export async function launchChromium(viewport: { width: number; height: number }): Promise<{ context: BrowserContext; shots: string; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'smsq-chromium-'));
  const shots = mkdtempSync(join(tmpdir(), 'smsq-shots-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport });
  return {
    context,
    shots,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(shots, { recursive: true, force: true });
    },
  };
}
