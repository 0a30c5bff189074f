/** The words workers say while they back off from their endpoint, as status reads them. */
import { describe, expect, it } from 'vitest';
import { countBackingOff, endpointBackoffMember, parseEndpointBackoffs } from '../../src/queue/endpoint-backoffs.js';
import { workerSettingsMember } from '../../src/queue/worker-settings.js';

describe('endpoint back-off words', () => {
  it('name the worker, the fault and the host, never anything that is not a plain host[:port]', () => {
    expect(endpointBackoffMember('web-1:42:a1b2c3', 'ConnectionRefused', 'dysmsapi.aliyuncs.com')).toBe('web-1:42:a1b2c3|ConnectionRefused|dysmsapi.aliyuncs.com');
    expect(endpointBackoffMember('w:1:aa', 'HostNotFound', '[::1]:8080')).toBe('w:1:aa|HostNotFound|[::1]:8080');
    // A client that says its endpoint otherwise (a URL with user and password, a path): the host is left out.
    expect(endpointBackoffMember('w:1:aa', 'ConnectionRefused', 'https://AKID:secret@example.com/')).toBe('w:1:aa|ConnectionRefused|');
    expect(endpointBackoffMember('w:1:aa', 'ConnectionRefused', 'user:pw@example.com')).toBe('w:1:aa|ConnectionRefused|');
    expect(endpointBackoffMember('w:1:aa', 'ConnectionRefused', undefined)).toBe('w:1:aa|ConnectionRefused|');
    expect(endpointBackoffMember('w:1:aa', 'a|b', 'h')).toBe('w:1:aa|unknown|h');
  });

  it('are read as the workers, the first step to end, and the fault most of them meet', () => {
    const words = [
      'w1:1:aa|ConnectionRefused|10.0.0.9:80', '2000',
      'w2:2:bb|ConnectionRefused|10.0.0.9:80', '1500',
      'w3:3:cc|HostNotFound|sms.internal', '3000',
      'not a word', '1000',
      'w4:4:dd||h', '1000',
    ];
    expect(parseEndpointBackoffs(words)).toEqual({
      workerIds: ['w1:1:aa', 'w2:2:bb', 'w3:3:cc'],
      until: 1500,
      fault: 'ConnectionRefused',
      endpoint: '10.0.0.9:80',
      others: [{ fault: 'HostNotFound', endpoint: 'sms.internal' }],
    });
    expect(parseEndpointBackoffs([])).toBeUndefined();
    expect(parseEndpointBackoffs(['nothing|here', '1'])).toBeUndefined();
  });

  it('hold a send up only when every live worker says one, counting live workers only', () => {
    const words = ['w1:1:aa|ConnectionRefused|h', '1', 'w2:2:bb|HostNotFound|g', '2'];
    const live = (...ids: string[]) => ids.map((id) => workerSettingsMember(id, undefined));
    expect(parseEndpointBackoffs(words, live('w1:1:aa', 'w2:2:bb'))).toMatchObject({ workerIds: ['w1:1:aa', 'w2:2:bb'], until: 1 });
    // A worker that reaches its endpoint sends what the others put back.
    expect(parseEndpointBackoffs(words, live('w1:1:aa', 'w2:2:bb', 'w3:3:cc'))).toBeUndefined();
    // The word of a worker whose settings aged out (it is gone) is left out.
    expect(parseEndpointBackoffs(words, live('w2:2:bb'))).toEqual({ workerIds: ['w2:2:bb'], until: 2, fault: 'HostNotFound', endpoint: 'g', others: [] });
    // None said its settings: the words are all there is.
    expect(parseEndpointBackoffs(words)).toMatchObject({ workerIds: ['w1:1:aa', 'w2:2:bb'] });
  });

  it('are counted for /metrics: the live workers, and those of them backing off by code, unknown codes as other', () => {
    const live = (...ids: string[]) => ids.map((id) => workerSettingsMember(id, undefined));
    const words = [
      'w1:1:aa|ConnectionRefused|10.0.0.9:80', '2000',
      'w2:2:bb|RequestNotBuilt.Setup|', '1500',
      'w3:3:cc|Some.LaterCode|h', '1000',
      'w4:4:dd|unknown|h', '1000',
      'w5:5:ee|InvalidCredentials|', '1000',
      'gone:9:ff|HostNotFound|h', '1000',
      'not a word', '1000',
    ];
    expect(countBackingOff(words, live('w1:1:aa', 'w2:2:bb', 'w3:3:cc', 'w4:4:dd', 'w5:5:ee', 'w6:6:ff'))).toEqual({
      live: 6,
      backingOff: { ConnectionRefused: 1, HostNotFound: 0, 'RequestNotBuilt.Setup': 1, InvalidCredentials: 1, other: 2 },
    });
    // Nothing said: every code is there, at 0.
    expect(countBackingOff([], [])).toEqual({ live: 0, backingOff: { ConnectionRefused: 0, HostNotFound: 0, 'RequestNotBuilt.Setup': 0, InvalidCredentials: 0, other: 0 } });
    // None said its settings: the words are all there is (as status reads them).
    expect(countBackingOff(words.slice(0, 4), [])).toMatchObject({ live: 0, backingOff: { ConnectionRefused: 1, 'RequestNotBuilt.Setup': 1 } });
  });

  it('count a worker once, by its latest word (one left behind by a failed write ages out)', () => {
    const words = ['w1:1:aa|ConnectionRefused|h', '1000', 'w1:1:aa|HostNotFound|g', '3000'];
    expect(countBackingOff(words, [workerSettingsMember('w1:1:aa', undefined)]).backingOff).toMatchObject({ ConnectionRefused: 0, HostNotFound: 1 });
  });
});
