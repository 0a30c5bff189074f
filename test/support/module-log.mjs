// `node --import ./test/support/module-log.mjs`: logs every module the process loads to the file
// named by SMSQ_TEST_MODULE_LOG (see module-log-hooks.mjs).
import { register } from 'node:module';
import process from 'node:process';

register('./module-log-hooks.mjs', import.meta.url, { data: { logFile: process.env.SMSQ_TEST_MODULE_LOG } });
