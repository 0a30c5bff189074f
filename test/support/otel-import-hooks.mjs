// Module hooks of otel-import-probe.mjs (they run on Node's loader thread).
import { appendFileSync } from 'node:fs';

let file;

export async function initialize(data) {
  file = data?.file;
}

export async function resolve(specifier, context, nextResolve) {
  if (file && /^(@opentelemetry\/|bullmq-otel$)/.test(specifier)) appendFileSync(file, `${specifier}\n`);
  return nextResolve(specifier, context);
}
