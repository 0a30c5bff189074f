/** The request line of a URL Node's parser refused, read for what a client should percent-encode. */
import { describe, expect, it } from 'vitest';
import { rawUrlIssues } from '../../server/raw-url.js';

const line = (text: string) => Buffer.from(`${text}\r\nHost: x\r\n\r\n`, 'utf8');

describe('rawUrlIssues', () => {
  it('names each query parameter whose value holds raw UTF-8 or a control character, and the path', () => {
    expect(rawUrlIssues(line('GET /v1/campaigns?signName=smsq沙箱&templateCode=SMS_900000003 HTTP/1.1'))?.map((i) => i.field)).toEqual(['query.signName']);
    expect(rawUrlIssues(line('POST /v1/campaigns?a=1&name=春季&kind=x\x01 HTTP/1.1'))?.map((i) => i.field)).toEqual(['query.name', 'query.kind']);
    expect(rawUrlIssues(line('GET /v1/sends/沙箱?x=沙 HTTP/1.1'))?.map((i) => i.field)).toEqual(['(path)', 'query.x']);
    // A name that is not plain text itself is not repeated back.
    expect(rawUrlIssues(line('GET /v1/x?名=1 HTTP/1.1'))?.map((i) => i.field)).toEqual(['(query)']);
    // After a #: not the query.
    expect(rawUrlIssues(line('GET /v1/x?a=1#沙 HTTP/1.1'))).toBeUndefined();
  });

  it('is undefined for another fault, or no bytes', () => {
    expect(rawUrlIssues(line('GET /v1/x?a=1 HTTP/1.1'))).toBeUndefined();
    expect(rawUrlIssues(Buffer.from('NOT HTTP AT ALL'))).toBeUndefined();
    expect(rawUrlIssues(undefined)).toBeUndefined();
  });
});
