/**
 * `createEmulator()`: a local Dysmsapi 2017-05-25 endpoint the official SDK cannot tell from
 * Alibaba's, plus an in-process and HTTP control surface for tests and sandbox mode.
 */
import { SANDBOX_ACCESS_KEY } from '../sms/defaults.js';
import { systemClock } from '../clock.js';
import { createLogger } from '../logger.js';
import { handleApiRequest, type ApiSettings, type ApiState } from './api.js';
import { createBizIdGenerator } from './biz-id.js';
import { buildCatalog } from './catalog.js';
import { createControlHandler } from './control.js';
import { DEFAULT_DELIVERY, receiptAt, type DeliverySettings } from './delivery.js';
import { gatewayErrors } from './errors.js';
import { FaultSet } from './faults.js';
import { DEFAULT_FIXTURES } from './fixtures.js';
import { DEFAULT_FLOW_LIMITS, FlowControl } from './flow-control.js';
import { createTrackedServer, readBody, sendJson, type TrackedServer } from './http-server.js';
import { RecipientStore } from './record-store.js';
import { ReportPusher } from './report-push.js';
import { RingBuffer } from './ring-buffer.js';
import { SlidingWindowLimiter } from './sliding-window.js';
import type {
  AcceptedSend,
  CallRecord,
  DeliveryOptions,
  Emulator,
  EmulatorConfigPatch,
  EmulatorOptions,
  ListenResult,
  RecipientRecord,
} from './types.js';

export const DEFAULT_QPS = 5000;
export const DEFAULT_REPORT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([60_000, 300_000, 600_000]);

const RETENTION_DEFAULTS = {
  calls: 100_000,
  acceptedSends: 100_000,
  recipients: 500_000,
  recipientsPerNumber: 200,
  flowControlKeys: 1_000_000,
};

function mergeDelivery(base: DeliverySettings, patch: DeliveryOptions | undefined): DeliverySettings {
  const next = {
    delayMs: patch?.delayMs ?? base.delayMs,
    failureRatio: patch?.failureRatio ?? base.failureRatio,
    failureCodes: patch?.failureCodes ?? base.failureCodes,
  };
  if (!(next.delayMs >= 0)) throw new RangeError(`delivery.delayMs must be >= 0, got ${next.delayMs}`);
  if (!(next.failureRatio >= 0 && next.failureRatio <= 1)) throw new RangeError(`delivery.failureRatio must be 0..1, got ${next.failureRatio}`);
  if (next.failureCodes.length === 0) throw new RangeError('delivery.failureCodes must not be empty');
  return next;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
}

export function createEmulator(opts: EmulatorOptions = {}): Emulator {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: 'silent' });
  const accessKey = opts.accessKey ?? SANDBOX_ACCESS_KEY;
  const retention = { ...RETENTION_DEFAULTS, ...opts.retention };
  const settings: ApiSettings = {
    qps: nonNegative('qps', opts.qps ?? DEFAULT_QPS),
    flowControl: opts.flowControl ?? true,
    delivery: mergeDelivery(DEFAULT_DELIVERY, opts.delivery),
    detailsLagMs: nonNegative('detailsLagMs', opts.detailsLagMs ?? 0),
    latencyMs: nonNegative('latencyMs', opts.latencyMs ?? 0),
    reportUrl: opts.reportUrl,
  };
  const state: ApiState = {
    clock,
    logger,
    keys: new Map([[accessKey.accessKeyId, { ...accessKey }]]),
    catalog: buildCatalog(opts.fixtures ?? DEFAULT_FIXTURES),
    settings,
    window: new SlidingWindowLimiter(settings.qps),
    flow: new FlowControl(DEFAULT_FLOW_LIMITS, retention.flowControlKeys),
    faults: new FaultSet(),
    store: new RecipientStore(retention.recipients, retention.recipientsPerNumber),
    accepted: new RingBuffer<AcceptedSend>(retention.acceptedSends),
    calls: new RingBuffer<CallRecord>(retention.calls),
    pusher: new ReportPusher({
      clock,
      logger,
      url: () => settings.reportUrl,
      retryDelaysMs: opts.reportRetryDelaysMs ?? DEFAULT_REPORT_RETRY_DELAYS_MS,
    }),
    nextBizId: createBizIdGenerator(),
  };

  let api: TrackedServer | undefined;
  let control: TrackedServer | undefined;

  const apiServer = createTrackedServer((req, res) => {
    readBody(req, (body) => {
      if (body === undefined) {
        const e = gatewayErrors.bodyTooLarge();
        sendJson(res, e.httpStatus, JSON.stringify({ Code: e.code, Message: e.message }));
        return;
      }
      const decision = handleApiRequest(state, { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      if (decision.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      const write = () => sendJson(res, decision.status, decision.body, decision.headers);
      if (decision.delayMs > 0) apiServer.later(decision.delayMs, write);
      else write();
    });
  });

  const emulator: Emulator = {
    async listen(address = {}): Promise<ListenResult> {
      if (api) throw new Error('the emulator is already listening');
      const host = address.host ?? '127.0.0.1';
      const bound = await apiServer.listen(address.port ?? 0, host);
      api = apiServer;
      // With real time, a timer pushes due reports; a manual clock is driven by deliverDue().
      if (clock === systemClock) state.pusher.start();
      const endpoint = `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;
      logger.debug({ endpoint, accessKeyId: accessKey.accessKeyId }, 'emulator: listening');
      return { host, port: bound.port, endpoint };
    },

    async listenControl(address = {}) {
      if (control) throw new Error('the control endpoint is already listening');
      const server = createTrackedServer(createControlHandler(emulator));
      const bound = await server.listen(address.port ?? 0, '127.0.0.1');
      control = server;
      return { port: bound.port, url: `http://127.0.0.1:${bound.port}` };
    },

    async close() {
      await state.pusher.stop();
      await Promise.all([apiServer.close(), control?.close()]);
      api = undefined;
      control = undefined;
    },

    setFaults: (faults) => state.faults.set(faults),
    addFault: (fault) => state.faults.add(fault),
    clearFaults: () => state.faults.clear(),

    configure(patch: EmulatorConfigPatch) {
      if (patch.qps !== undefined && patch.qps !== settings.qps) {
        settings.qps = nonNegative('qps', patch.qps);
        state.window.setLimit(settings.qps);
      }
      if (patch.flowControl !== undefined) settings.flowControl = patch.flowControl;
      if (patch.delivery !== undefined) settings.delivery = mergeDelivery(settings.delivery, patch.delivery);
      if (patch.detailsLagMs !== undefined) settings.detailsLagMs = nonNegative('detailsLagMs', patch.detailsLagMs);
      if (patch.latencyMs !== undefined) settings.latencyMs = nonNegative('latencyMs', patch.latencyMs);
      if ('reportUrl' in patch) settings.reportUrl = patch.reportUrl;
    },

    accepted: () => state.accepted.toArray(),

    recipients(): RecipientRecord[] {
      const now = clock.now();
      const out: RecipientRecord[] = [];
      for (const r of state.store.all()) {
        const s = receiptAt(r.dueAt, r.finalCode, now);
        const rec: RecipientRecord = {
          phone: r.phone,
          bizId: r.bizId,
          outId: r.outId,
          signName: r.signName,
          templateCode: r.templateCode,
          content: r.content,
          sendStatus: s.sendStatus,
          errCode: s.errCode,
          acceptedAt: r.acceptedAt,
        };
        if (s.receiveAt !== undefined) rec.receiveAt = s.receiveAt;
        out.push(rec);
      }
      return out;
    },

    calls: () => state.calls.toArray(),

    deliverDue: () => state.pusher.deliverDue(),

    reset() {
      state.store.clear();
      state.accepted.clear();
      state.calls.clear();
      state.faults.clear();
      state.flow.reset();
      state.window.reset();
      state.pusher.clear();
    },
  };
  return emulator;
}
