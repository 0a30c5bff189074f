import { describe, expect, it } from 'vitest';
import { firstRepeatedKey, MAX_REPEATED_NAMED, scanJsonText } from '../../src/duplicate-keys.js';

describe('firstRepeatedKey', () => {
  it('names a key given twice in an object by its path of keys', () => {
    expect(firstRepeatedKey('{"phones":["13800138000"],"signName":"S","phones":["13700137000"]}')).toBe('phones');
    expect(firstRepeatedKey('{"templateParam":{"code":"1","code":"2"}}')).toBe('templateParam.code');
    expect(firstRepeatedKey('{"messages":[{"phone":"1"},{"phone":"2","phone":"3"}]}')).toBe('messages[1].phone');
    // An item by its index, as JSON paths count (from 0), arrays in arrays and a list at the top too.
    expect(firstRepeatedKey('[{"a":1},{"b":[1,"x,y",{"c":1,"c":2}]}]')).toBe('[1].b[2].c');
    expect(firstRepeatedKey('{"m":[[1,2],[{"k":"}","k":1}]]}')).toBe('m[1][0].k');
  });

  it('finds none where the same key is in different objects, inside strings, or escaped', () => {
    expect(firstRepeatedKey('{"messages":[{"phone":"1"},{"phone":"2"}],"phone":"x"}')).toBeUndefined();
    expect(firstRepeatedKey('{"a":"\\"a\\":1","b":"a: a"}')).toBeUndefined();
    expect(firstRepeatedKey('{"a\\"b":1,"a\\\\":2}')).toBeUndefined();
    expect(firstRepeatedKey('[{"a":1},{"a":2}]')).toBeUndefined();
    expect(firstRepeatedKey('{ "a" : 1 , "b" : { "a" : 2 } }')).toBeUndefined();
    expect(firstRepeatedKey('"just a string"')).toBeUndefined();
  });

  it('reads keys written with escapes as JSON does', () => {
    expect(firstRepeatedKey('{"name":"a","na\\u006de":"b"}')).toBe('name');
  });
});

describe('scanJsonText', () => {
  it('names the first object or list deeper than the limit, and stops there', () => {
    expect(scanJsonText('{"a":[[1]]}', 3)).toEqual({});
    expect(scanJsonText('{"a":[[[1]]]}', 3)).toEqual({ tooDeep: 'a[0][0]' });
    expect(scanJsonText('[1,{"b":{"c":{}}}]', 3)).toEqual({ tooDeep: '[1].b.c' });
    expect(scanJsonText('{"x":1,"x":2,"a":{"b":[[]]}}', 3)).toEqual({ repeated: 'x', repeatedKeys: ['x'], tooDeep: 'a.b[0]' });
    // Brackets inside strings are text; text that never closes is as deep as it opens.
    expect(scanJsonText('{"a":"[[[[[["}', 2)).toEqual({});
    expect(scanJsonText('[[[[', 2)).toEqual({ tooDeep: '[0][0]' });
  });
});

describe('scanJsonText: every key given twice', () => {
  it('names each key given twice, in the order its second is met, each once (only the first, signName, was named), up to MAX_REPEATED_NAMED', () => {
    expect(scanJsonText('{"signName":"a","templateParam":{"code":"1","code":"2"},"signName":"b","signName":"c"}').repeatedKeys).toEqual(['templateParam.code', 'signName']);
    const many = `{${Array.from({ length: 15 }, (_, i) => `"k${i}":1,"k${i}":2`).join(',')}}`;
    expect(scanJsonText(many).repeatedKeys).toEqual(Array.from({ length: MAX_REPEATED_NAMED }, (_, i) => `k${i}`));
    expect(scanJsonText(many, 64).repeatedKeys).toHaveLength(MAX_REPEATED_NAMED);
    expect(scanJsonText('{"a":1}').repeatedKeys).toBeUndefined();
  });
});
