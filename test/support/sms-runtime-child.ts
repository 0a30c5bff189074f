/**
 * Opens and closes the SMS runtime in the mode given as argv[2] (`live` or `sandbox`), nothing else,
 * so that test/unit/sms-runtime-loading.test.ts can see which modules that loads. Makes no call.
 */
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openSmsRuntime } from '../../src/runtime/sms-runtime.js';

const mode = process.argv[2];
if (mode !== 'live' && mode !== 'sandbox') throw new Error(`usage: sms-runtime-child.ts live|sandbox, got ${String(mode)}`);
const runtime = await openSmsRuntime({ config: loadConfig({ SMS_MODE: mode }), logger: createLogger({ level: 'silent' }) });
await runtime.close();
console.log(JSON.stringify({ sandbox: runtime.sandbox, endpoint: runtime.endpoint }));
