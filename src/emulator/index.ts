/** The local Dysmsapi emulator: sandbox mode's endpoint and every integration test's Alibaba. */
export { createEmulator, DEFAULT_QPS, DEFAULT_REPORT_RETRY_DELAYS_MS } from './emulator.js';
export { DEFAULT_FIXTURES, DEFAULT_FIXTURE_NAMES } from './fixtures.js';
export { DEFAULT_FAILURE_CODES, FAILURE_CODE_MESSAGES } from './delivery.js';
export { DEFAULT_FLOW_LIMITS } from './flow-control.js';
export type { SmsReport } from './report-push.js';
export { runEmulatorStandalone, type StandaloneEmulator, type StandaloneOptions } from './standalone.js';
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
} from './types.js';
export { createEmulatorSdkClient, DysmsapiClient, type EmulatorSdkClientOptions } from './sdk-client.js';
