/**
 * The HTTP status and content type of an answer the SDK could not read. When a body is not JSON
 * (an HTML error page, a plain-text 404: SMS_ENDPOINT names a web server, not Dysmsapi), the SDK
 * throws JSON.parse's SyntaxError and the response is lost with it, though its status is what tells
 * the operator what answered. Node's `http.client.response.finish` diagnostics channel sees every
 * response as it arrives, before its body is read: answers are counted per endpoint (the Host
 * header the SDK writes), and a failed call is given the status of the answers its endpoint sent
 * while it ran, when they were all alike. Two different answers at once from one endpoint leave it
 * unknown rather than guessed: a call cannot be told apart from the others without an
 * AsyncLocalStorage, which slows every promise of the process down on Node 20.
 */
import { subscribe } from 'node:diagnostics_channel';

/** What an endpoint answered, as far as its head tells. */
export interface SeenAnswer {
  status: number;
  /** The media type without its parameters (`text/html`), when the answer named one. */
  contentType: string | undefined;
}

interface EndpointAnswers {
  /** Answers counted so far. */
  count: number;
  /** The last answer. */
  last: SeenAnswer | undefined;
  /** The count at which the answers started to be like the last, one after another. */
  alikeSince: number;
}

/** By endpoint (`host[:port]`, as the Host header carries it); only endpoints a client calls. */
const endpoints = new Map<string, EndpointAnswers>();
let listening = false;

function onResponse(message: unknown): void {
  const { request, response } = (message ?? {}) as { request?: { getHeader?: (name: string) => unknown }; response?: { statusCode?: unknown; headers?: Record<string, unknown> } };
  const host = request?.getHeader?.('host');
  if (typeof host !== 'string') return;
  const seen = endpoints.get(host);
  if (seen === undefined || typeof response?.statusCode !== 'number') return;
  const type = response.headers?.['content-type'];
  const answer: SeenAnswer = { status: response.statusCode, contentType: typeof type === 'string' ? type.split(';')[0]!.trim().toLowerCase() || undefined : undefined };
  seen.count += 1;
  if (seen.last === undefined || seen.last.status !== answer.status || seen.last.contentType !== answer.contentType) seen.alikeSince = seen.count;
  seen.last = answer;
}

/** Starts counting the answers of `endpoint` (a client does, once, when it is created). */
export function countAnswersOf(endpoint: string): void {
  if (!listening) {
    subscribe('http.client.response.finish', onResponse);
    listening = true;
  }
  if (!endpoints.has(endpoint)) endpoints.set(endpoint, { count: 0, last: undefined, alikeSince: 0 });
}

/** A mark to give {@link answerSince}: how many answers `endpoint` sent so far. */
export function answersSoFar(endpoint: string): number {
  return endpoints.get(endpoint)?.count ?? 0;
}

/**
 * The answer `endpoint` sent since `mark`, when it sent at least one and all were alike; undefined
 * when it sent none, or answers that differ (which was the call's cannot be told).
 */
export function answerSince(endpoint: string, mark: number): SeenAnswer | undefined {
  const seen = endpoints.get(endpoint);
  if (seen === undefined || seen.count <= mark || seen.alikeSince > mark + 1) return undefined;
  return seen.last;
}
