import { createHash, type Hash } from 'node:crypto';
import { MAINLAND } from '../src/sms/phone.js';
import { normalised } from './request-fingerprint.js';
import type { CampaignRecipient } from './schemas.js';

/** Rows whose text is hashed in one update: one call per row cost more than the row's own hashing. */
const ROWS_PER_UPDATE = 256;

/**
 * The digest's scheme, before its hex. A version that reads rows otherwise (a number normalised
 * otherwise, a row read where it was refused) gives the same list another digest: it must change
 * this, and a repeat whose key holds another scheme is answered as one whose key holds no list,
 * not refused as another list (an identical retry across an upgrade told "another request").
 */
const SCHEME = 'l1:';

/** Whether a digest kept with a key can be compared with this version's (same scheme). */
export function comparableDigest(kept: string): boolean {
  return kept.startsWith(SCHEME);
}

/**
 * The digest of a list's first `rows` rows (`digest` of a list of that many rows), or, `whole`,
 * of the whole list, which had that many: a list read as far as another request read it.
 */
export interface ListPrefix {
  rows: number;
  digest: string;
  /** The list ended there: a list with a row more is another. */
  whole?: boolean;
}

/**
 * The SHA-256 of a campaign's recipient list as smsq reads it, row by row in order: each row's
 * number normalised as a send's fingerprint has it (`+86 138 0013 8000` is `13800138000`), its
 * own params (keys sorted; `{}` is none), and, for a row that could not be read, that it could not
 * (not the reason's words, which name its line and change with versions). Not its line: a CSV and
 * a JSON list of the same rows, or a file with a blank line more, are the same list. Unlike a
 * send's `phones`, whose order changes nothing, a list's order cuts its chunks, so it counts.
 *
 * An idempotency key's first campaign keeps this with the key when its enqueue ends, and a
 * repeat compares its own before it is answered with that send (producers/producer.ts). Before
 * then, each write of its chunks keeps the {@link prefix} read so far with them (in the first chunk
 * of the write: producers/campaign.ts), so that a repeat completing a send whose first request was
 * cut off compares its list as far as the first read it, before it writes anything.
 */
export class ListDigest {
  private readonly hash: Hash = createHash('sha256');
  private text = '';
  private pending = 0;
  private done: string | undefined;
  /** Rows added. */
  count = 0;

  add(row: CampaignRecipient): void {
    const phone = MAINLAND.test(row.phone) ? row.phone : normalised(row.phone);
    // Each text after its length: no separator or escape is needed, whatever it holds.
    this.text += `${phone.length}:${phone}${row.params === undefined ? '' : paramsText(row.params)};${row.error === undefined ? '' : '!'}\n`;
    this.count++;
    if (++this.pending < ROWS_PER_UPDATE) return;
    this.hash.update(this.text);
    this.text = '';
    this.pending = 0;
  }

  /**
   * The digest of the rows added so far, rows may be added after: the {@link digest} a list of
   * these rows alone has (the hash is copied, not ended; one copy per write of chunks).
   */
  prefix(): ListPrefix {
    if (this.done !== undefined) return { rows: this.count, digest: this.done };
    this.hash.update(this.text);
    this.text = '';
    this.pending = 0;
    return { rows: this.count, digest: SCHEME + this.hash.copy().digest('hex') };
  }

  /** The digest (hex) of the rows added; no row may be added after. */
  digest(): string {
    if (this.done === undefined) {
      this.hash.update(this.text);
      this.text = '';
      this.done = SCHEME + this.hash.digest('hex');
    }
    return this.done;
  }
}

/**
 * A row's own params, keys sorted, each key and value after its length: `4:name2:Li`. A file's rows
 * give their columns in one order, so the keys are sorted only when they come otherwise (the
 * canonical JSON of a send's fingerprint sorts every time: a third of a million rows' hashing).
 */
function paramsText(params: Record<string, string>): string {
  let text = '';
  let previous = '';
  for (const key in params) {
    if (key < previous) return Object.keys(params).sort().map((k) => pair(k, params[k] as string)).join('');
    previous = key;
    text += pair(key, params[key] as string);
  }
  return text;
}

const pair = (key: string, value: string) => `${key.length}:${key}${value.length}:${value}`;
