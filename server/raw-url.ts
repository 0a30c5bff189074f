/**
 * What is wrong with a URL Node's parser refused (HPE_INVALID_URL), read from the bytes it was
 * given: a URL carries ASCII only, and the usual fault is a value typed as it reads
 * (`curl "...?signName=smsq沙箱"` sends raw UTF-8), which needs its fix named, not "check the
 * client, or a proxy".
 */
import type { FieldIssue } from '../src/errors.js';

/** A byte no URL may carry as is: outside ASCII, a control character, DEL. */
const unsendable = (byte: number) => byte >= 0x7f || byte < 0x20;

const RAW = 'holds characters that are not percent-encoded (raw UTF-8): a URL carries ASCII only, and the server cannot read the request';

/**
 * The issues of a request line whose URL holds bytes it may not carry: each query parameter
 * whose value (or name) holds one, by its name (`query.signName`; `(query)` when the name itself
 * cannot be read), or `(path)`. Undefined when the line holds no such byte (another fault).
 */
export function rawUrlIssues(rawPacket: Buffer | undefined): FieldIssue[] | undefined {
  if (rawPacket === undefined) return undefined;
  const lineEnd = rawPacket.indexOf(0x0a);
  const line = rawPacket.subarray(0, lineEnd < 0 ? rawPacket.length : lineEnd);
  const start = line.indexOf(0x20);
  if (start < 0) return undefined;
  const rest = line.subarray(start + 1);
  const end = rest.lastIndexOf(Buffer.from(' HTTP/'));
  const target = end < 0 ? rest : rest.subarray(0, end);
  const fragment = target.indexOf(0x23);
  const url = fragment < 0 ? target : target.subarray(0, fragment);
  const mark = url.indexOf(0x3f);
  const path = mark < 0 ? url : url.subarray(0, mark);
  const issues: FieldIssue[] = [];
  if (path.some(unsendable)) {
    issues.push({ field: '(path)', message: `${RAW}. Fix: percent-encode the path as UTF-8 (encodeURIComponent in JavaScript; 沙箱 is %E6%B2%99%E7%AE%B1)` });
  }
  if (mark >= 0) {
    for (const pair of splitBytes(url.subarray(mark + 1), 0x26)) {
      if (!pair.some(unsendable)) continue;
      const eq = pair.indexOf(0x3d);
      const name = (eq < 0 ? pair : pair.subarray(0, eq)).toString('latin1');
      const named = name !== '' && !/[^\w.-]/.test(name);
      const example = named ? `${name}=...` : 'name=value';
      issues.push({
        field: named ? `query.${name}` : '(query)',
        // curl's --url-query encodes into the URL with any method; -G moves a body into it too (an upload's).
        message: `${RAW}. Fix: percent-encode each query value as UTF-8: curl --url-query '${example}' (curl 7.87+; a GET also takes -G --data-urlencode '${example}'), encodeURIComponent in JavaScript`,
      });
    }
  }
  return issues.length > 0 ? issues : undefined;
}

function splitBytes(bytes: Buffer, separator: number): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(separator); at >= 0; at = bytes.indexOf(separator, from)) {
    parts.push(bytes.subarray(from, at));
    from = at + 1;
  }
  parts.push(bytes.subarray(from));
  return parts;
}
