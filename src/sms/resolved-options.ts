/** The SMS client's options as the SDK is built from them (client.ts resolves them, sdk.ts uses them). */

/** Which credentials the client signs with. */
export type SmsCredential =
  /** The default chain of `@alicloud/credentials` (environment, OIDC, profiles, ECS RAM role, URI): live mode. */
  | { kind: 'default-chain' }
  /** A fixed AccessKey pair, with an STS token when it is temporary: sandbox mode and tests. */
  | { kind: 'access-key'; accessKeyId: string; accessKeySecret: string; securityToken?: string };

/** Options after defaults are applied. */
export interface ResolvedSmsClientOptions {
  endpoint: string;
  protocol: 'https' | 'http';
  readTimeoutMs: number;
  connectTimeoutMs: number;
  credential: SmsCredential;
  userAgent: string;
}
