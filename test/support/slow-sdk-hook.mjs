/**
 * `node --import test/support/slow-sdk-hook.mjs`: the Alibaba SDK package resolves only
 * TEST_SDK_DELAY_MS after it is first asked for, as on a cold disk or a slow container start, so a
 * test can see what a process does while the SDK is still loading.
 */
import { register } from 'node:module';
import process from 'node:process';

const delayMs = Number(process.env.TEST_SDK_DELAY_MS ?? 0);
register(
  'data:text/javascript,' +
    encodeURIComponent(
      `export async function resolve(specifier, context, next) {
        if (specifier === '@alicloud/dysmsapi20170525') await new Promise((r) => setTimeout(r, ${delayMs}));
        return next(specifier, context);
      }`,
    ),
);
