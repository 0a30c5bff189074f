/**
 * A workbook part's XML (a sheet, the shared strings) made plain where exceljs's streaming reader
 * (4.4.0) keeps only part of a cell's text: it starts the text again at every `<t>`, so a sheet's
 * own rich text (`<is><r><t>欧阳</t></r><r><t>修</t></r></is>`, as writers that keep no shared
 * strings store it) read as "修", and a phonetic guide (`<rPh>`, Japanese Excel's furigana, in a
 * sheet or the shared strings) replaced the text it annotates. Those cells went into messages so,
 * without a word. Here each `<is>` with more than one `<t>` becomes one `<t>` holding their text,
 * and `<rPh>` elements are dropped (they are not the cell's text); every other byte passes as it
 * is. The bytes are handled as Latin-1, one character a byte, so UTF-8 text split between chunks
 * passes whole.
 */
import { Transform } from 'node:stream';

/** An element this rewrites: an inline string, or a phonetic guide. */
const REWRITTEN = /<(is|rPh)[\s>]/g;
/** What an element begun at the end of a chunk may look like so far: `<`, `<i`, `<is`, `<r`, `<rP`, `<rPh`. */
const OPENER_CHARS = 4;
/** An element still open after this much text is passed on as it is: no cell's text is that long, and memory stays flat. */
const MAX_HELD = 1024 * 1024;
const TEXT = /<t(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/t>)/g;
const PHONETIC = /<rPh[\s>][\s\S]*?<\/rPh>/g;

/** The rewrite of one whole `<is>` or `<rPh>` element. */
function rewrite(element: string, name: string): string {
  if (name === 'rPh') return '';
  const texts = [...element.replace(PHONETIC, '').matchAll(TEXT)].map((m) => m[1] ?? '');
  if (texts.length <= 1 && !element.includes('<rPh')) return element;
  return `<is><t xml:space="preserve">${texts.join('')}</t></is>`;
}

/** The stream of a part's XML (`entry`, whose errors it passes on) with inline rich text joined and phonetic guides dropped. */
export function plainTextRuns(entry: NodeJS.ReadableStream): Transform {
  let held = '';
  const pass = (text: string, final: boolean): string => {
    // Only a rewritten element cuts the text: an inline string of one `<t>` (most) is copied with the rest.
    let out = '';
    let from = 0;
    let at = 0;
    for (;;) {
      REWRITTEN.lastIndex = at;
      const open = REWRITTEN.exec(text);
      if (open === null) {
        // Held back: only what may begin an element (a `<` among the last few characters).
        const tail = text.lastIndexOf('<');
        const keep = final || tail < text.length - OPENER_CHARS ? text.length : Math.max(at, tail);
        held = text.slice(keep);
        return out + text.slice(from, keep);
      }
      const name = open[1] as string;
      const close = text.indexOf(`</${name}>`, open.index);
      if (close < 0) {
        held = text.slice(open.index);
        if (final || held.length > MAX_HELD) {
          held = '';
          return out + text.slice(from);
        }
        return out + text.slice(from, open.index);
      }
      const end = close + name.length + 3;
      at = end;
      const element = text.slice(open.index, end);
      if (name === 'is' && element.indexOf('<t', element.indexOf('<t') + 2) < 0 && !element.includes('<rPh')) continue;
      out += text.slice(from, open.index) + rewrite(element, name);
      from = end;
    }
  };
  const plain = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      // Most parts hold neither element: passed as they are.
      if (held === '' && chunk.indexOf('<is') < 0 && chunk.indexOf('<rPh') < 0 && chunk.lastIndexOf('<') < chunk.length - OPENER_CHARS) {
        done(null, chunk);
        return;
      }
      done(null, Buffer.from(pass(held + chunk.toString('latin1'), false), 'latin1'));
    },
    flush(done) {
      if (held !== '') this.push(Buffer.from(pass(held, true), 'latin1'));
      done();
    },
  });
  entry.on('error', (err: Error) => plain.destroy(err));
  return entry.pipe(plain);
}
