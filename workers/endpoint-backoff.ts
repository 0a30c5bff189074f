/**
 * A worker whose call meets a fault of its own that it calls again after (`retriedByWorkers`)
 * backs off by itself: this process takes no job for a while, doubling from `firstMs` to `maxMs`
 * while the fault lasts, and as soon as one call is answered it goes back to full speed. Other
 * workers go on. The faults are of two kinds:
 * - an endpoint it cannot reach (a refused connection, a host name that does not resolve): the
 *   others' endpoint may answer (the fault may be this host's: a local proxy restarting, a resolver
 *   down for a moment);
 * - a request its own setup cannot build (RequestNotBuilt.Setup: the AccessKey ID or STS token its
 *   credential provider returned holds a line break, its userAgent option), or a credential its
 *   default chain cannot resolve (InvalidCredentials): the others build theirs from their own.
 * Handled as throttling it paused every worker of the deployment for 1 s per job it took; handled as
 * an account error it stopped every worker of every host for SMSQ_ACCOUNT_RECHECK_MS.
 *
 * One warn line per back-off step (not per job put back), naming what to fix; and one word in Redis
 * per step, taken back at the first answer (src/queue/endpoint-backoffs.ts), so that status names
 * the wait when every worker backs off.
 */
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import { endpointFaultLine, isWorkerSetupFault, retriedByWorkers, workerSetupFaultLine } from '../src/sms/error-codes.js';
import { SMS_CLIENT_METHODS } from '../src/sms/actions.js';
import type { SmsClient, SmsOutcome } from '../src/sms/types.js';
import type { EndpointBackoffAnnouncer } from '../src/queue/endpoint-backoffs.js';
import type { IntakeHolds } from './intake-holds.js';

export interface EndpointBackoffSettings {
  /** The first pause (ms). Default 1000. */
  firstMs: number;
  /** The longest pause (ms): the doubling stops there. Default 60000. */
  maxMs: number;
}

export const DEFAULT_ENDPOINT_BACKOFF: Readonly<EndpointBackoffSettings> = Object.freeze({ firstMs: 1000, maxMs: 60_000 });

/** What a failed call tells the back-off: the SmsError's fields it reads. */
export interface EndpointFault {
  code: string;
  message: string;
  action: string;
  /** The endpoint's host[:port], when the call said where it went (a fault to reach it). */
  endpoint?: string;
}

export interface EndpointBackoff {
  /** A call met a fault of this worker's own (`retriedByWorkers`): this process stops taking jobs for the next step, unless it already is. */
  fault(error: EndpointFault): void;
  /** A call was answered (whatever the answer): the back-off starts over at `firstMs`. */
  answered(): void;
  /** Ends a pause under way without resuming (the worker is closing). */
  stop(): void;
}

export interface EndpointBackoffOptions {
  intake: IntakeHolds;
  logger: Logger;
  clock: Clock;
  settings?: Partial<EndpointBackoffSettings>;
  /** Says each step in Redis and takes it back at the first answer. Default: said nowhere. */
  announcer?: Pick<EndpointBackoffAnnouncer, 'say' | 'takeBack'>;
}

export function createEndpointBackoff(options: EndpointBackoffOptions): EndpointBackoff {
  const firstMs = Math.max(1, options.settings?.firstMs ?? DEFAULT_ENDPOINT_BACKOFF.firstMs);
  const maxMs = Math.max(firstMs, options.settings?.maxMs ?? DEFAULT_ENDPOINT_BACKOFF.maxMs);
  let nextMs = firstMs;
  let step = 0;
  /** When the first fault of this outage was met; undefined while calls are answered. */
  let since: number | undefined;
  /** The code of the last fault met, for the words of the answer that ends it. */
  let lastFault: EndpointFault | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  return {
    fault(error) {
      if (stopped || timer !== undefined) return;
      const now = options.clock.now();
      since ??= now;
      step++;
      const pauseMs = nextMs;
      nextMs = Math.min(nextMs * 2, maxMs);
      const setup = isWorkerSetupFault(error);
      lastFault = error;
      options.logger.warn(
        { code: error.code, pauseMs, step, faultForMs: now - since },
        `${setup ? workerSetupFaultLine(error) : endpointFaultLine(error, 'nothing was sent')}. ` +
          `This worker takes no job for ${formatMs(pauseMs)} (back-off step ${step}, doubling up to ${formatMs(maxMs)}, back to full speed once a call is answered) and puts back what it took, counting no attempt; other workers go on. ` +
          (setup
            ? "It is this worker's own setup, and lasts until it is fixed here: workers whose credential is good send meanwhile"
            : 'Met by this host alone and for moments, it is its blip (a local proxy restarting, a resolver down); met by every worker or for minutes, it is a setup fault to fix'),
      );
      void options.announcer?.say({ fault: error.code, endpoint: error.endpoint, until: now + pauseMs });
      void options.intake.hold('endpoint-backoff').catch(() => {});
      timer = setTimeout(() => {
        timer = undefined;
        if (!stopped) options.intake.release('endpoint-backoff');
      }, pauseMs);
      timer.unref();
    },
    answered() {
      if (since === undefined) return;
      const what = lastFault !== undefined && isWorkerSetupFault(lastFault) ? "this worker's requests are built and answered again" : 'SMS_ENDPOINT answers again';
      options.logger.info({ steps: step, faultForMs: options.clock.now() - since }, `${what} after ${step} back-off step${step === 1 ? '' : 's'}: this worker takes jobs at full speed`);
      since = undefined;
      lastFault = undefined;
      step = 0;
      nextMs = firstMs;
      void options.announcer?.takeBack();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** `client`, telling `backoff` of every call: a fault it backs off from, or an answer. */
export function watchEndpoint(client: SmsClient, backoff: EndpointBackoff): SmsClient {
  const watched: Partial<Record<keyof SmsClient, unknown>> = {};
  for (const method of SMS_CLIENT_METHODS) {
    const original = client[method] as (arg: unknown) => Promise<SmsOutcome<unknown>>;
    watched[method] = async (arg: unknown) => {
      const outcome = await original.call(client, arg);
      if (outcome.ok) backoff.answered();
      else if (retriedByWorkers(outcome.error)) backoff.fault(outcome.error);
      // An error answered by the endpoint (Dysmsapi's code) says it is reachable; a timeout or reset says nothing either way.
      else if (outcome.error.httpStatus !== undefined || outcome.error.requestId !== undefined) backoff.answered();
      return outcome;
    };
  }
  return watched as SmsClient;
}
