// Module hooks (node:module register) that append the URL of every module loaded to a file, so a
// test can tell which of smsq's modules a process loaded. Runs on the loader thread.
import { appendFileSync } from 'node:fs';

let logFile;

export function initialize(data) {
  logFile = data.logFile;
}

export async function load(url, context, nextLoad) {
  appendFileSync(logFile, `${url}\n`);
  return nextLoad(url, context);
}
