/**
 * Fields of pushed reports that were refused while their report was applied: a `report_time` or
 * `send_time` that is no time (or none its event can have, pushed-time.ts). The report is applied
 * all the same, because Alibaba never pushes a report again once it was answered OK, and refusing
 * the push would lose the receipt; so the refusal is made visible here instead: counted in Redis
 * by field (`smsq_report_fields_refused_total`), and logged on the first and then once per
 * {@link LOG_EVERY} in this process, since a sender that writes a bad time writes it in every report.
 */
import type { RedisConnection } from '../queue/connection.js';
import type { Keys } from '../queue/keys.js';
import type { Logger } from '../logger.js';

/** The time fields of a pushed SmsReport that are checked. */
export const REFUSABLE_REPORT_FIELDS = ['report_time', 'send_time'] as const;
export type RefusableReportField = (typeof REFUSABLE_REPORT_FIELDS)[number];

/** Refusals per warn line, after the first. */
export const LOG_EVERY = 100;

export interface RefusedReportFields {
  /** Counts one push's refusals (one write), and logs when they reach the next line's turn. */
  count(refused: Readonly<Record<RefusableReportField, number>>): Promise<void>;
}

export function createRefusedReportFields(deps: { redis: RedisConnection; keys: Keys; logger: Logger }): RefusedReportFields {
  const key = deps.keys.reportFieldsRefused();
  let seen = 0;
  const total: Record<RefusableReportField, number> = { report_time: 0, send_time: 0 };
  return {
    async count(refused) {
      const fields = REFUSABLE_REPORT_FIELDS.filter((f) => refused[f] > 0);
      if (fields.length === 0) return;
      const write = deps.redis.multi();
      for (const f of fields) write.hincrby(key, f, refused[f]);
      await write.exec();
      const before = seen;
      for (const f of fields) {
        total[f] += refused[f];
        seen += refused[f];
      }
      if (before === 0 || Math.floor(before / LOG_EVERY) !== Math.floor(seen / LOG_EVERY)) {
        deps.logger.warn(
          { refused: total, logEvery: LOG_EVERY },
          'pushed reports with a report_time or send_time that cannot be theirs (not a time, before the attempt was sent, or after now): the reports were applied, each receipt time taken as when smsq received the push (receivedAtFromPush); counted in smsq_report_fields_refused_total. If this goes on, check what sends the pushes',
        );
      }
    },
  };
}
