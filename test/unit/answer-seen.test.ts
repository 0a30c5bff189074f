/**
 * The status of an answer the SDK could not read, from what Node's `http.client.response.finish`
 * channel saw of each endpoint's answers while a call ran: given only when it cannot be another's.
 * Responses are published on the channel as Node publishes them.
 */
import { channel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { answerSince, answersSoFar, countAnswersOf } from '../../src/sms/answer-seen.js';

const responses = channel('http.client.response.finish');

/** An answer from `host`, as Node publishes it. */
function answer(host: string, status: number, type?: string): void {
  responses.publish({ request: { getHeader: (name: string) => (name === 'host' ? host : undefined) }, response: { statusCode: status, headers: type === undefined ? {} : { 'content-type': type } } });
}

describe('answer-seen', () => {
  it('gives the call the answer its endpoint sent while it ran, with the media type alone', () => {
    countAnswersOf('a.example:1');
    answer('a.example:1', 200, 'application/json');
    const mark = answersSoFar('a.example:1');
    expect(answerSince('a.example:1', mark)).toBeUndefined();
    answer('a.example:1', 501, 'text/html; charset=utf-8');
    expect(answerSince('a.example:1', mark)).toEqual({ status: 501, contentType: 'text/html' });
  });

  it('gives it when every answer during the call was alike, and nothing when they differ (which was its own cannot be told)', () => {
    countAnswersOf('b.example:2');
    const mark = answersSoFar('b.example:2');
    answer('b.example:2', 404, 'text/plain');
    answer('b.example:2', 404, 'text/plain');
    expect(answerSince('b.example:2', mark)).toEqual({ status: 404, contentType: 'text/plain' });
    answer('b.example:2', 502);
    expect(answerSince('b.example:2', mark)).toBeUndefined();
    // A call that started after the change sees only the answers since.
    const later = answersSoFar('b.example:2');
    answer('b.example:2', 502);
    expect(answerSince('b.example:2', later)).toEqual({ status: 502, contentType: undefined });
  });

  it('counts only the endpoints a client calls, each apart', () => {
    answer('c.example:3', 404);
    expect(answersSoFar('c.example:3')).toBe(0);
    countAnswersOf('c.example:3');
    const mark = answersSoFar('c.example:3');
    answer('d.example:4', 500);
    expect(answerSince('c.example:3', mark)).toBeUndefined();
  });
});
