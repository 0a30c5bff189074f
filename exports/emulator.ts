/**
 * `smsq/emulator`: a local Dysmsapi server (the API's signing, answers, errors, flow control,
 * delivery reports and queries) for sandboxes and tests. It sends nothing anywhere.
 *
 * @packageDocumentation
 */
export { createEmulator, DEFAULT_QPS, DEFAULT_REPORT_RETRY_DELAYS_MS } from '../src/emulator/emulator.js';
export { DEFAULT_FIXTURES, DEFAULT_FIXTURE_NAMES } from '../src/emulator/fixtures.js';
export { DEFAULT_FAILURE_CODES, FAILURE_CODE_MESSAGES } from '../src/emulator/delivery.js';
export { DEFAULT_FLOW_LIMITS } from '../src/emulator/flow-control.js';
/** The AccessKey pair the emulator accepts unless `accessKey` names another. */
export { SANDBOX_ACCESS_KEY } from '../src/sms/defaults.js';
export type { SmsReport } from '../src/emulator/report-push.js';
export type {
  AcceptedSend,
  CallRecord,
  DeliveryOptions,
  Emulator,
  EmulatorAccessKey,
  EmulatorConfigPatch,
  EmulatorFixtures,
  EmulatorOptions,
  EmulatorSendStatus,
  FaultKind,
  FaultRule,
  FixtureQualification,
  FixtureSign,
  FixtureTemplate,
  ListenResult,
  RecipientRecord,
  RetentionOptions,
} from '../src/emulator/types.js';
