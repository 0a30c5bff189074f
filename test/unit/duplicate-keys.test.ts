import { describe, expect, it } from 'vitest';
import { MAX_REPEATED_NAMED, repeatedKeysOf, scanJsonText } from '../../src/duplicate-keys.js';

describe('repeatedKeysOf', () => {
  it('names a key given twice in an object by its path of keys', () => {
    expect(repeatedKeysOf('{"phones":["13800138000"],"signName":"S","phones":["13700137000"]}')).toEqual(['phones']);
    expect(repeatedKeysOf('{"templateParam":{"code":"1","code":"2"}}')).toEqual(['templateParam.code']);
    expect(repeatedKeysOf('{"messages":[{"phone":"1"},{"phone":"2","phone":"3"}]}')).toEqual(['messages[1].phone']);
    // An item by its index, as JSON paths count (from 0), arrays in arrays and a list at the top too.
    expect(repeatedKeysOf('[{"a":1},{"b":[1,"x,y",{"c":1,"c":2}]}]')).toEqual(['[1].b[2].c']);
    expect(repeatedKeysOf('{"m":[[1,2],[{"k":"}","k":1}]]}')).toEqual(['m[1][0].k']);
  });

  it('finds none where the same key is in different objects, inside strings, or escaped', () => {
    expect(repeatedKeysOf('{"messages":[{"phone":"1"},{"phone":"2"}],"phone":"x"}')).toEqual([]);
    expect(repeatedKeysOf('{"a":"\\"a\\":1","b":"a: a"}')).toEqual([]);
    expect(repeatedKeysOf('{"a\\"b":1,"a\\\\":2}')).toEqual([]);
    expect(repeatedKeysOf('[{"a":1},{"a":2}]')).toEqual([]);
    expect(repeatedKeysOf('{ "a" : 1 , "b" : { "a" : 2 } }')).toEqual([]);
    expect(repeatedKeysOf('"just a string"')).toEqual([]);
  });

  it('reads keys written with escapes as JSON does', () => {
    expect(repeatedKeysOf('{"name":"a","na\\u006de":"b"}')).toEqual(['name']);
  });
});

describe('scanJsonText', () => {
  it('names the first object or list deeper than the limit, and stops there', () => {
    expect(scanJsonText('{"a":[[1]]}', 3)).toEqual({});
    expect(scanJsonText('{"a":[[[1]]]}', 3)).toEqual({ tooDeep: 'a[0][0]' });
    expect(scanJsonText('[1,{"b":{"c":{}}}]', 3)).toEqual({ tooDeep: '[1].b.c' });
    expect(scanJsonText('{"x":1,"x":2,"a":{"b":[[]]}}', 3)).toEqual({ repeatedKeys: ['x'], tooDeep: 'a.b[0]' });
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
