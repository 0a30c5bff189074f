/**
 * What the SDK's default credential chain tried, in smsq's words, from the one message it throws
 * when every source failed (`@alicloud/credentials` 2.4.x: "unable to get credentials from any of
 * the providers in the chain: " and each source's own message, joined by ", "). That message is
 * not fit to pass on: it quotes an unreadable aliyun CLI config or a credentials URI's answer whole
 * (an AccessKey secret with it), says "https://undefined/" for the URI source nobody set, and its
 * parts hold commas of their own, so it cannot even be split. Each source is recognised by its own
 * words, told in a few of ours; anything else is left out, never quoted.
 */

interface Source {
  /** The source's words in the SDK's message. */
  said: RegExp;
  /** What it means, in smsq's words, from what `said` matched. */
  told: (m: RegExpExecArray) => string;
}

const FILE_FAULTS: Readonly<Record<string, string>> = Object.freeze({ ENOENT: 'does not exist', EACCES: 'cannot be read (permission denied)', EISDIR: 'is a folder' });

// In the chain's order: the environment, OIDC, the aliyun CLI config, the credentials file, the
// ECS RAM role, a credentials URI.
const SOURCES: readonly Source[] = [
  { said: /must be specified via environment variable \((ALIBABA_CLOUD_\w+)\)/g, told: (m) => `${m[1]} is not set` },
  { said: /get sts token failed with OIDC/g, told: () => 'the OIDC role (ALIBABA_CLOUD_ROLE_ARN) got no STS token' },
  { said: /reading aliyun cli config from '([^']*)' failed/g, told: (m) => `no aliyun CLI config (${m[1]} cannot be read)` },
  { said: /parse aliyun cli config from '([^']*)' failed/g, told: (m) => `the aliyun CLI config ${m[1]} is not valid JSON` },
  { said: /no any configured profiles in '([^']*)'/g, told: (m) => `the aliyun CLI config ${m[1]} has no profile` },
  { said: /unable to get profile with '([^']*)'/g, told: (m) => `the aliyun CLI config has no profile "${m[1]}" (ALIBABA_CLOUD_PROFILE)` },
  { said: /\b(E[A-Z]+): [^,']*, (?:open|access) '([^']*)'/g, told: (m) => `${m[2]} ${FILE_FAULTS[m[1] ?? ''] ?? `cannot be read (${m[1]})`}` },
  { said: /Can not find credential type for "([^"]*)"/g, told: (m) => `the credentials file has no profile "${m[1]}" (ALIBABA_CLOUD_PROFILE)` },
  { said: /get role name failed: \S+ \S+ (\d{3})/g, told: (m) => `no ECS RAM role (the instance metadata service answered HTTP ${m[1]}: not an ECS instance with a role?)` },
  { said: /connect E[A-Z]+ 100\.100\.100\.200/g, told: () => 'no ECS RAM role (the instance metadata service 100.100.100.200 did not answer)' },
  { said: /get sts token failed, httpStatus: (\d{3})/g, told: (m) => `the credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI) or ECS role answered HTTP ${m[1]}` },
  // The URI source is always in the chain: unset, it asks https://undefined/.
  { said: /https:\/\/undefined\//g, told: () => 'ALIBABA_CLOUD_CREDENTIALS_URI is not set' },
];

/**
 * What the chain tried, one clause a source, in the order the SDK said them (`ALIBABA_CLOUD_ACCESS_KEY_ID
 * is not set; no aliyun CLI config (/root/.aliyun/config.json cannot be read); ...`); never a word
 * of the SDK's message but the paths, variable and profile names it names.
 */
export function chainTried(sdkMessage: string): string {
  const found: { at: number; clause: string }[] = [];
  for (const source of SOURCES) {
    for (const m of sdkMessage.matchAll(source.said)) found.push({ at: m.index, clause: source.told(m as RegExpExecArray) });
  }
  const clauses = [...new Set(found.sort((a, b) => a.at - b.at).map((f) => f.clause))];
  return clauses.length > 0 ? clauses.join('; ') : "the SDK's own words are left out: they may quote a credentials file";
}
