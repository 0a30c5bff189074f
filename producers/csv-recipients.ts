import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ValidationError } from '../src/errors.js';
import type { CampaignRecipient } from './schemas.js';

/** Header names accepted for the number column (case-insensitive). */
export const PHONE_COLUMNS = ['phone', 'phone_number', 'phonenumber', 'mobile', 'number', 'tel'];

/** Splits one CSV line (RFC 4180 quotes, `""` escapes). Fast path for lines without quotes. */
export function splitCsvLine(line: string): string[] | undefined {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += ch;
    } else if (ch === '"') {
      if (field.length > 0) return undefined; // a quote in the middle of an unquoted field
      quoted = true;
    } else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) return undefined; // unterminated quote (multi-line fields are not supported)
  out.push(field);
  return out;
}

/**
 * Reads campaign recipients from CSV, one row at a time. The first line is a header naming the
 * number column (`phone`, `mobile`, ...) and, optionally, per-recipient template params (each
 * other column is a `${var}`). A file without a header is a plain list of numbers, one per line.
 * Rows that cannot be read are yielded with `error` (they are counted as rejected, not dropped).
 * Throws ValidationError before yielding anything if the header is unusable.
 */
export async function* readRecipientsCsv(source: string | Readable): AsyncGenerator<CampaignRecipient> {
  const input = typeof source === 'string' ? createReadStream(source, { encoding: 'utf8', highWaterMark: 1 << 20 }) : source;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: string[] | undefined;
  let phoneAt = 0;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    if (header === undefined) {
      const cells = splitCsvLine(line)?.map((c) => c.trim());
      if (!cells) throw new ValidationError([{ field: 'file:1', message: 'the header line has an unterminated quote' }]);
      const lower = cells.map((c) => c.toLowerCase());
      const idx = lower.findIndex((c) => PHONE_COLUMNS.includes(c));
      if (idx >= 0) {
        header = cells;
        phoneAt = idx;
        const dup = cells.find((c, i) => cells.indexOf(c) !== i);
        if (dup) throw new ValidationError([{ field: 'file:1', message: `column "${dup}" appears twice in the header` }]);
        continue;
      }
      if (cells.length === 1 && /^[+\d][\d\s()-]*$/.test(cells[0] ?? '')) {
        header = ['phone'];
        phoneAt = 0;
      } else {
        throw new ValidationError([
          {
            field: 'file:1',
            message: `no phone column in the header (${cells.join(',')}). Fix: name the number column one of ${PHONE_COLUMNS.join(', ')}, or give one number per line without a header`,
          },
        ]);
      }
    }
    const cells = splitCsvLine(line);
    if (!cells) {
      yield { phone: line.slice(0, 32), error: `line ${lineNo}: unterminated or misplaced quote` };
      continue;
    }
    if (cells.length !== header.length) {
      yield { phone: (cells[phoneAt] ?? line).slice(0, 32), error: `line ${lineNo}: expected ${header.length} fields, found ${cells.length}` };
      continue;
    }
    const phone = (cells[phoneAt] as string).trim();
    if (header.length === 1) {
      yield { phone };
      continue;
    }
    const params: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) if (i !== phoneAt) params[header[i] as string] = cells[i] as string;
    yield { phone, params };
  }
}
