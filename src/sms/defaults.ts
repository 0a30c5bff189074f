/**
 * The two fixed values of the Dysmsapi boundary that the configuration, the client and the emulator
 * all need. They live here, below all three, so that none of them imports another for a constant.
 */

/** Alibaba Cloud's Dysmsapi host: live mode's endpoint unless SMS_ENDPOINT names another. */
export const LIVE_ENDPOINT = 'dysmsapi.aliyuncs.com';

/** The AccessKey pair the emulator and sandbox clients use when the environment names none (not a secret). */
export const SANDBOX_ACCESS_KEY = Object.freeze({
  accessKeyId: 'smsq-sandbox-key',
  accessKeySecret: 'smsq-sandbox-secret',
});
