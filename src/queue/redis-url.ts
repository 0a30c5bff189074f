/**
 * What `REDIS_URL` names: one Redis (`redis://`, `rediss://`), a Sentinel deployment
 * (`redis+sentinel://`, `rediss+sentinel://` in TLS) or a Cluster (`redis+cluster://`,
 * `rediss+cluster://` in TLS). Pure
 * parsing, so config validation and every process that connects agree on one reading of the URL.
 */
import { SmsqError } from '../errors.js';

/** A host and port of a sentinel or a cluster seed node. */
export interface RedisHostPort {
  host: string;
  port: number;
}

/** Credentials of the data nodes (the primary and its replicas, or every cluster node). */
export interface RedisAuth {
  /** ACL user; undefined means the default user. */
  username: string | undefined;
  password: string | undefined;
}

export type RedisTarget =
  | { kind: 'standalone'; url: string }
  | (RedisAuth & {
      kind: 'sentinel';
      sentinels: RedisHostPort[];
      /** The master group name the sentinels monitor (`sentinel monitor <name> ...`). */
      masterName: string;
      db: number;
      /** Credentials of the sentinels themselves, when they require auth (`?sentinelPassword=`). */
      sentinelUsername: string | undefined;
      sentinelPassword: string | undefined;
      /**
       * `rediss+sentinel://`: the sentinels, the primary and its replicas are all reached in TLS,
       * trusted as `rediss://` trusts one Redis (Node's CA store, NODE_EXTRA_CA_CERTS), with the
       * connection's client certificate, if it was given one.
       */
      tls: boolean;
    })
  | (RedisAuth & {
      kind: 'cluster';
      /** The seed nodes; the others are read from the Cluster (CLUSTER SLOTS) at the addresses they announce. */
      nodes: RedisHostPort[];
      /**
       * `rediss+cluster://`: every node, seed or announced, is reached in TLS, trusted as
       * `rediss://` trusts one Redis (Node's CA store, NODE_EXTRA_CA_CERTS), with the
       * connection's client certificate, if it was given one.
       */
      tls: boolean;
    });

/** Whether a target is reached in TLS: `rediss://`, `rediss+sentinel://`, `rediss+cluster://`. */
export function targetSpeaksTls(target: RedisTarget): boolean {
  return target.kind === 'standalone' ? /^rediss:/i.test(target.url) : target.tls;
}

/**
 * A Redis URL that cannot be read. The message shows the URL as given, passwords redacted (as
 * every other message naming it: {@link redactRedisUrl}), so that a caller whose URL came from its
 * own settings sees what was read. `problem` completes "<url> <problem>", `fix` is a URL that
 * works (with a note); the environment's check (src/config.ts) says both as REDIS_URL. A
 * `rediss://`, `rediss+sentinel://` or `rediss+cluster://` URL is shown its fix in TLS too:
 * followed as written, an example without the s would drop the TLS the deployment requires.
 */
export class RedisUrlError extends SmsqError {
  readonly code = 'SMSQ_CONFIG_INVALID';
  /** The URL given, its passwords replaced by `<redacted>`. */
  readonly redactedUrl: string;
  readonly fix: string;
  constructor(
    readonly problem: string,
    fix: string,
    url: string,
  ) {
    const redactedUrl = redactRedisUrl(url);
    const fixInScheme = /^rediss(\+(sentinel|cluster))?:/i.test(url) ? fix.replace(/^redis(\+(sentinel|cluster))?:/, 'rediss$1:') : fix;
    super(`the Redis URL ${JSON.stringify(redactedUrl)} ${problem}. Fix: give one such as ${fixInScheme}`);
    this.name = 'RedisUrlError';
    this.redactedUrl = redactedUrl;
    this.fix = fixInScheme;
  }
}

const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;
const EXAMPLE = {
  sentinel: 'redis+sentinel://:password@10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster',
  cluster: 'redis+cluster://:password@10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000',
  standalone: 'redis://user:pass@host:6379/0',
} as const;
const SCHEMES = 'redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://';

// scheme :// [user[:password]@] hosts [/path] [?query]; hosts may hold commas, so URL() cannot read them.
const MULTI_HOST = /^(redis|rediss)\+(sentinel|cluster):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;

/** Reads `REDIS_URL`; throws {@link RedisUrlError} naming the problem and an example that works. */
export function parseRedisUrl(url: string): RedisTarget {
  try {
    return readRedisUrl(url);
  } catch (err) {
    // Said as what it is rather than as the misread part, which may be a piece of the password.
    if (!(err instanceof RedisUrlError) || !hasUnencodedUserInfo(url)) throw err;
    throw new RedisUrlError('has a / ? # or @ in its user name or password (before its last @), which must be percent-encoded (%2F %3F %23 %40)', EXAMPLE[exampleKindOf(url)], url);
  }
}

/** Which example URL fits what `url` meant to be, by its scheme. */
function exampleKindOf(url: string): keyof typeof EXAMPLE {
  return /^[a-z+]*sentinel/i.test(url) ? 'sentinel' : /^[a-z+]*cluster/i.test(url) ? 'cluster' : 'standalone';
}

function readRedisUrl(url: string): RedisTarget {
  const refused = (problem: string, fix: string) => new RedisUrlError(problem, fix, url);
  if (/^rediss?:\/\//.test(url)) {
    if (!URL.canParse(url)) throw refused('is not a URL', EXAMPLE.standalone);
    // ioredis reads the path as the database and sends SELECT NaN for anything but digits.
    const { pathname } = new URL(url);
    if (pathname !== '' && pathname !== '/' && !/^\/\d{1,5}$/.test(pathname)) {
      throw refused(`has the path "${pathname}", which is not a database number (/0 to /15 on a Redis with the default \`databases 16\`)`, EXAMPLE.standalone);
    }
    const option = [...new URL(url).searchParams.keys()][0];
    if (option !== undefined) throw refused(standaloneOptionProblem(option, url.startsWith('rediss:') ? 'rediss' : 'redis'), EXAMPLE.standalone);
    return { kind: 'standalone', url };
  }
  const m = MULTI_HOST.exec(url);
  if (!m) {
    throw refused(`must start with ${SCHEMES} and have no #fragment`, EXAMPLE[exampleKindOf(url)]);
  }
  const [, scheme, kindText, userInfo, hostList, path, query] = m;
  const kind = kindText as 'sentinel' | 'cluster';
  const auth = authOf(userInfo, kind, refused);
  const hosts = hostsOf(hostList ?? '', kind, refused);
  const params = new URLSearchParams(query ?? '');
  if (kind === 'cluster') {
    if (path !== undefined && path !== '' && path !== '/') {
      throw refused(`has the path "${path}", but a Cluster has no master name and only database 0`, EXAMPLE.cluster);
    }
    const extra = [...params.keys()];
    if (extra.length > 0) throw refused(`has the option "${extra[0]}", which ${scheme}+cluster:// does not know`, EXAMPLE.cluster);
    return { kind, nodes: hosts, ...auth, tls: scheme === 'rediss' };
  }
  const segments = (path ?? '').split('/').filter(Boolean).map(decodeURIComponent);
  const [masterName, dbText, ...rest] = segments;
  if (masterName === undefined) throw refused('must name the master group after the sentinels (the name in "sentinel monitor <name> ...")', EXAMPLE.sentinel);
  if (rest.length > 0 || (dbText !== undefined && !/^\d{1,2}$/.test(dbText))) {
    throw refused(`has the path "${path}", which is not /<masterName> or /<masterName>/<db>`, `${EXAMPLE.sentinel}/0`);
  }
  for (const key of params.keys()) {
    if (!SENTINEL_OPTIONS.includes(key)) {
      throw refused(`has the option "${key}"; ${scheme}+sentinel:// knows sentinelPassword and sentinelUsername`, `${EXAMPLE.sentinel}?sentinelPassword=secret`);
    }
  }
  return {
    kind,
    sentinels: hosts,
    masterName,
    db: dbText === undefined ? 0 : Number(dbText),
    ...auth,
    sentinelUsername: params.get('sentinelUsername') ?? undefined,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
    tls: scheme === 'rediss',
  };
}

/**
 * Why a `redis://` URL's query option is refused. ioredis takes every option of that query as a
 * connection option, under those smsq sets: a `password` there logged in and was then shown in
 * clear wherever the URL is named (only the user part is a password's place here), and a
 * `keyPrefix` or `enableOfflineQueue` changed what smsq's connections do.
 */
function standaloneOptionProblem(option: string, scheme: 'redis' | 'rediss'): string {
  if (option === 'password' || option === 'username') {
    const what = option === 'password' ? 'password' : 'user name';
    return `has the ${what} in its query (?${option}=); smsq reads the user name and password only before the host, percent-encoded`;
  }
  return `has the option "${option}" in its query; smsq sets a connection's options itself and a ${scheme}:// URL takes none`;
}

/** The options of a redis+sentinel URL's query. */
const SENTINEL_OPTIONS: readonly string[] = ['sentinelPassword', 'sentinelUsername'];

/** Makes the refusal of the URL being read. */
type Refusal = (problem: string, fix: string) => RedisUrlError;

function authOf(userInfo: string | undefined, kind: 'sentinel' | 'cluster', refused: Refusal): RedisAuth {
  if (userInfo === undefined) return { username: undefined, password: undefined };
  const colon = userInfo.indexOf(':');
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw refused('has a user or password that is not URL-encoded (a bare % must be %25)', EXAMPLE[kind]);
    }
  };
  const username = decode(colon < 0 ? userInfo : userInfo.slice(0, colon));
  const password = colon < 0 ? undefined : decode(userInfo.slice(colon + 1));
  return { username: username || undefined, password: password || undefined };
}

/** One host of a list: host, host:port, [v6], [v6]:port. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/;

function hostsOf(list: string, kind: 'sentinel' | 'cluster', refused: Refusal): RedisHostPort[] {
  const parts = list.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw refused(`must list the ${kind === 'sentinel' ? 'sentinels' : 'cluster nodes'} as host:port, separated by commas`, EXAMPLE[kind]);
  }
  return parts.map((part) => {
    const hp = HOST_PORT.exec(part);
    const port = hp?.[2] === undefined ? DEFAULT_PORT[kind] : Number(hp[2]);
    if (!hp || port < 1 || port > 65_535) throw refused(`has "${part}", which is not host:port`, EXAMPLE[kind]);
    return { host: (hp[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
  });
}

/** What stands for a hidden part of a URL in messages and logs. */
const REDACTED = '<redacted>';
/** The characters that end a URL's authority: a user name or password holding one unencoded is misread. */
const ENDS_AUTHORITY = /[/?#@]/;

/**
 * The user name and password of `url` as written, whether or not the URL reads: everything between
 * `scheme://` and the last `@`. An unencoded `/ ? # @` in a password is what makes a URL unreadable,
 * and a reader stopping at the first of them would take the rest of the password for the host;
 * the last `@` is past any of them. But for the `@` of a sentinel URL's query
 * ({@link sentinelQueryAt}), which a `sentinelPassword` may hold unencoded: taken for the end of the
 * user part, it hid the sentinels and the master name too.
 */
function userInfoOf(url: string): { start: number; end: number; text: string } | undefined {
  const start = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0].length ?? 0;
  const read = sentinelQueryAt(url);
  const end = read ? read.userInfoEnd : url.lastIndexOf('@');
  return end < start ? undefined : { start, end, text: url.slice(start, end) };
}

/**
 * Where a redis+sentinel URL whose last `@` is in its query reads its user part to, as
 * {@link parseRedisUrl} reads it: to the one `@` before the query, which ends a user part holding
 * none of `/ ? #`. Undefined when the URL may read otherwise, so that the user part is taken to the
 * last `@` and no part of a password is shown: no user part before the hosts (the "hosts" may be
 * one), an `@` in the hosts or the path (a user part holding a `/` or a `?`, as `:se/cret@h1`), or a `#`. Any other reading
 * would take that query's `?` into a password, which must be percent-encoded (%3F).
 */
function sentinelQueryAt(url: string): { userInfoEnd: number } | undefined {
  const m = MULTI_HOST.exec(url);
  // Without a user part before the hosts, what reads as the hosts may be one: `u:1234` of
  // redis+sentinel://u:1234?sentinelUsername=@h1:26379/m reads as host:port, and its password
  // "1234?sentinelUsername=" as a query.
  if (m?.[2] !== 'sentinel' || m[3] === undefined || m[6] === undefined || url.lastIndexOf('@') < url.length - m[6].length) return undefined;
  // Read as the parser reads it: host:port parts, a path without @, only the options it knows.
  // Else a password's unencoded ? may have started the "query" (redis+sentinel://se?:cret@h1/m?...).
  const hostsRead = (m[4] ?? '').split(',').every((part) => HOST_PORT.test(part.trim()));
  const optionsRead = [...new URLSearchParams(m[6]).keys()].every((key) => SENTINEL_OPTIONS.includes(key));
  if (!hostsRead || (m[5] ?? '').includes('@') || !optionsRead) return undefined;
  return { userInfoEnd: url.indexOf('@') };
}

/**
 * The URL with its password (and `sentinelPassword`) replaced, for every log line and error message
 * that names a Redis URL, readable or not. The user name stays when it cannot hold any of the
 * password (no `/ ? # @` before the first `:`); otherwise the whole user part is hidden.
 */
export function redactRedisUrl(url: string): string {
  const hidden = new Array<boolean>(url.length).fill(false);
  const hide = (from: number, to: number) => hidden.fill(true, from, to);
  const userInfo = userInfoOf(url);
  if (userInfo) {
    const colon = userInfo.text.indexOf(':');
    const user = colon < 0 ? userInfo.text : userInfo.text.slice(0, colon);
    if (ENDS_AUTHORITY.test(user)) hide(userInfo.start, userInfo.end);
    else if (colon >= 0) hide(userInfo.start + colon + 1, userInfo.end);
  }
  // Any query option naming a password (sentinelPassword; password, which a redis:// URL is refused for).
  for (const m of url.matchAll(/[?&][^=&#]*pass[^=&#]*=([^&#]*)/gi)) hide(m.index + m[0].length - (m[1] as string).length, m.index + m[0].length);
  let out = '';
  for (let i = 0; i < url.length; i++) {
    if (!hidden[i]) out += url[i];
    else if (i === 0 || !hidden[i - 1]) out += REDACTED;
  }
  return out;
}

/**
 * True when the user name or password of `url` holds an unencoded `/ ? # @`: the URL's parts are
 * misread from there on, and a problem found in them would quote a piece of the password.
 */
export function hasUnencodedUserInfo(url: string): boolean {
  const userInfo = userInfoOf(url);
  return userInfo !== undefined && ENDS_AUTHORITY.test(userInfo.text);
}
