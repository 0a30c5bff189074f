/**
 * What the default credential chain tried, from the messages `@alicloud/credentials` 2.4.7 throws
 * (each captured from the real SDK in the setting its test names): smsq's words, the paths and
 * names that help, and never the rest (a quoted config file, "https://undefined/").
 */
import { describe, expect, it } from 'vitest';
import { chainTried } from '../../src/sms/credential-chain-words.js';
import { CredentialResolutionError } from '../../src/sms/errors.js';

const CHAIN = 'unable to get credentials from any of the providers in the chain: ';
const ENV_ID = 'unable to get credentials from enviroment variables, Access key ID must be specified via environment variable (ALIBABA_CLOUD_ACCESS_KEY_ID)';
const NO_CLI = "reading aliyun cli config from '/home/ops/.aliyun/config.json' failed.";
const NO_FILE = "ENOENT: no such file or directory, access '/home/ops/.alibabacloud/credentials'";
const NO_URI = 'getaddrinfo ENOTFOUND undefinedGET https://undefined/ failed.';

describe('chainTried', () => {
  it('an empty home, off ECS: each source in the chain\'s order, no SDK words (the operator\'s trial saw them all, and "https://undefined/")', () => {
    const said = `${CHAIN}${ENV_ID}, ${NO_CLI}, ${NO_FILE}, get role name failed: GET http://100.100.100.200/latest/meta-data/ram/security-credentials/ 404, ${NO_URI}`;
    expect(chainTried(said)).toBe(
      'ALIBABA_CLOUD_ACCESS_KEY_ID is not set; no aliyun CLI config (/home/ops/.aliyun/config.json cannot be read); /home/ops/.alibabacloud/credentials does not exist; ' +
        'no ECS RAM role (the instance metadata service answered HTTP 404: not an ECS instance with a role?); ALIBABA_CLOUD_CREDENTIALS_URI is not set',
    );
  });

  it('names the variable that is missing when the other is set', () => {
    const said = `${CHAIN}unable to get credentials from enviroment variables, Access key secret must be specified via environment variable (ALIBABA_CLOUD_ACCESS_KEY_SECRET), ${NO_CLI}, ${NO_FILE}, ${NO_URI}`;
    expect(chainTried(said)).toMatch(/^ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set; /);
  });

  it('an aliyun CLI config that is not JSON is said so, and its text (a secret in it) is never quoted', () => {
    const said = `${CHAIN}${ENV_ID}, parse aliyun cli config from '/home/ops/.aliyun/config.json' failed: {"profiles":[{"access_key_id":"LTAIx","access_key_secret":"S3cretValue", ${NO_FILE}, ${NO_URI}`;
    const tried = chainTried(said);
    expect(tried).toContain('the aliyun CLI config /home/ops/.aliyun/config.json is not valid JSON');
    expect(tried).not.toMatch(/S3cretValue|LTAIx|profiles/);
  });

  it('a profile asked for by ALIBABA_CLOUD_PROFILE that is not there, an OIDC token file missing, a credentials URI that refuses', () => {
    expect(chainTried(`${CHAIN}${ENV_ID}, unable to get profile with 'prod', ${NO_FILE}, ${NO_URI}`)).toContain('the aliyun CLI config has no profile "prod" (ALIBABA_CLOUD_PROFILE)');
    expect(chainTried(`${CHAIN}${ENV_ID}, ENOENT: no such file or directory, open '/var/run/oidc/token', ${NO_CLI}`)).toContain('/var/run/oidc/token does not exist');
    const uri = chainTried(`${CHAIN}${ENV_ID}, ${NO_CLI}, ${NO_FILE}, get sts token failed, httpStatus: 403, message = {"AccessKeySecret":"leak"}.`);
    expect(uri).toContain('answered HTTP 403');
    expect(uri).not.toContain('leak');
  });

  it('words it does not know are left out, and it says so rather than say nothing', () => {
    expect(chainTried('something new: with a secret=abc in it')).toBe("the SDK's own words are left out: they may quote a credentials file");
  });
});

describe('CredentialResolutionError', () => {
  it('says what the chain tried, and keeps nothing of the SDK\'s error (its message may hold a secret)', () => {
    const e = new CredentialResolutionError(new Error(`${CHAIN}${ENV_ID}, parse aliyun cli config from '/h/.aliyun/config.json' failed: {"access_key_secret":"S3cret"`));
    expect(e.message).toBe('no credentials: the default credential chain found none (ALIBABA_CLOUD_ACCESS_KEY_ID is not set; the aliyun CLI config /h/.aliyun/config.json is not valid JSON)');
    expect(e.cause).toBeUndefined();
    expect(JSON.stringify(e) + String(e.stack)).not.toContain('S3cret');
  });
});
