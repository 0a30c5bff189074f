import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { Gb2312Share } from '../../producers/gb2312-share.js';

/** The share of `bytes` written in pieces of `size` bytes (a character may be split between two). */
function shareOf(bytes: Buffer, size = bytes.length): Gb2312Share {
  const share = new Gb2312Share();
  for (let at = 0; at < bytes.length; at += size) share.write(bytes.subarray(at, at + size));
  return share;
}

describe('Gb2312Share', () => {
  it('counts GB2312 hanzi and symbols as plain, GBK extension and four-byte characters as beyond, whatever the chunks', () => {
    // 喆 and 堃 are GBK extension pairs (86 B4, 88 D2), 𠇔 a four-byte GB18030 one; ，is a GB2312 symbol.
    const bytes = iconv.encode('phone,name\n13800138000,张喆，\n13800138001,王堃𠇔\n', 'gb18030');
    for (const size of [1, 2, 3, 5, bytes.length]) {
      const share = shareOf(bytes, size);
      expect([share.gb2312, share.beyond], `pieces of ${size}`).toEqual([3, 3]);
      expect(share.first).toEqual({ line: 2, bytes: [0x86, 0xb4] });
      expect(share.firstRead()).toBe('喆');
      expect(share.doubtful).toBe(false);
    }
  });

  it('is doubtful when most characters beyond ASCII lie outside GB2312: Latin-1 and Shift-JIS read as GBK', () => {
    const latin1 = shareOf(Buffer.from('phone,name\r\n13800138001,M\xfcller\r\n13800138002,G\xf6rans\r\n', 'latin1'));
    expect([latin1.gb2312, latin1.beyond, latin1.doubtful, latin1.firstRead()]).toEqual([0, 2, true, '黮']);
    expect(shareOf(iconv.encode('phone,name\n13800138001,山田太郎\n', 'shift_jis')).doubtful).toBe(true);
    expect(shareOf(iconv.encode('phone,name\n13800138001,张三\n', 'gbk')).doubtful).toBe(false);
    // Half and half is not most: a list of one name with one rare character is read.
    expect(shareOf(iconv.encode('13800138001,王喆\n', 'gbk')).doubtful).toBe(false);
  });

  it('numbers lines as the reader does: CRLF and a lone CR end one line each', () => {
    expect(shareOf(Buffer.from('a\r\nb\rc\n\xfcl', 'latin1'), 1).first?.line).toBe(4);
  });
});
