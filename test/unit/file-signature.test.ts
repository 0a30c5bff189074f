import { describe, expect, it } from 'vitest';
import { notTextSignature, utf16ByNuls } from '../../producers/file-signature.js';

describe('file signatures: what a file that is not text is', () => {
  it('tells workbooks, archives and documents by their first bytes', () => {
    expect(notTextSignature(Buffer.from('PK\x03\x04rest', 'latin1'))?.what).toMatch(/ZIP archive/);
    expect(notTextSignature(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]))?.what).toMatch(/97-2003/);
    expect(notTextSignature(Buffer.from([0x1f, 0x8b, 8]))?.what).toMatch(/gzip/);
    expect(notTextSignature(Buffer.from('%PDF-1.7'))?.what).toMatch(/PDF/);
  });

  it('leaves text, and text with a byte-order mark, alone', () => {
    expect(notTextSignature(Buffer.from('phone\n13800138000\n'))).toBeUndefined();
    expect(notTextSignature(Buffer.from([0xff, 0xfe, 0x70, 0]))).toBeUndefined();
    expect(notTextSignature(Buffer.from([0xef, 0xbb, 0xbf, 0x70]))).toBeUndefined();
    expect(notTextSignature(Buffer.from('P'))).toBeUndefined();
    // Text that begins like a signature, but not all of it: "PK" then text; GBK "塒" then "NG".
    expect(notTextSignature(Buffer.from('PKphone\n'))).toBeUndefined();
    expect(notTextSignature(Buffer.concat([Buffer.from([0x89, 0x50]), Buffer.from('NG,phone\n')]))).toBeUndefined();
    expect(notTextSignature(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))?.what).toMatch(/PNG/);
  });

  it('UTF-16 by where its NULs fall; NULs at both offsets are no UTF-16', () => {
    expect(utf16ByNuls(Buffer.from('phone,名\n', 'utf16le'))).toBe('utf-16le');
    expect(utf16ByNuls(Buffer.from('phone,名\n', 'utf16le').swap16())).toBe('utf-16be');
    expect(utf16ByNuls(Buffer.from([0x41, 0, 0, 0x42]))).toBeUndefined();
    // 一 (U+4E00) puts a NUL on the other side; the digits and commas around it still decide.
    const chinese = Buffer.from('phone,name\n13800138000,张一鸣\n13800138001,王一\n', 'utf16le');
    expect(utf16ByNuls(chinese)).toBe('utf-16le');
    expect(utf16ByNuls(Buffer.from(chinese).swap16())).toBe('utf-16be');
    expect(utf16ByNuls(Buffer.from('phone'))).toBeUndefined();
    // A stray NUL or two in UTF-8 text fall on one side by chance: UTF-16 has one every few bytes.
    expect(utf16ByNuls(Buffer.from('phone,name\n13800138000,Li\u0000Wang\n13900139000,Zhao\n'))).toBeUndefined();
    expect(utf16ByNuls(Buffer.from('phone,name\n13800138000,Li\u0000\u0000\u0000Wang\n'))).toBeUndefined();
  });
});
