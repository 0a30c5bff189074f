/**
 * A character named in an error by its code point, and by its name where people meet it: the
 * invisible ones a value pasted from a web page, a chat or a spreadsheet brings along. Shown in
 * quotes it is nothing (`contains ""`); `U+200B ZERO WIDTH SPACE` can be searched for and found.
 */

/** Names of the invisible and blank-looking characters met in pasted text (Unicode's names). */
const NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x00a0: 'NO-BREAK SPACE',
  0x00ad: 'SOFT HYPHEN',
  0x034f: 'COMBINING GRAPHEME JOINER',
  0x061c: 'ARABIC LETTER MARK',
  0x115f: 'HANGUL CHOSEONG FILLER',
  0x1160: 'HANGUL JUNGSEONG FILLER',
  0x180e: 'MONGOLIAN VOWEL SEPARATOR',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2061: 'FUNCTION APPLICATION',
  0x2062: 'INVISIBLE TIMES',
  0x2063: 'INVISIBLE SEPARATOR',
  0x2064: 'INVISIBLE PLUS',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0x2800: 'BRAILLE PATTERN BLANK',
  0x3000: 'IDEOGRAPHIC SPACE',
  0x3164: 'HANGUL FILLER',
  0xfe0f: 'VARIATION SELECTOR-16',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
  0xffa0: 'HALFWIDTH HANGUL FILLER',
});

/** `char` (its first code point) as `U+200B ZERO WIDTH SPACE`; `U+0007` for one without a name here. */
export function codePointOf(char: string): string {
  const name = NAMES[char.codePointAt(0) ?? 0];
  return `${codePointNumber(char)}${name === undefined ? '' : ` ${name}`}`;
}

/** `char` (its first code point) as `U+200B`. */
function codePointNumber(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character of `text` that `pattern` matches, as {@link codePointOf} names it; undefined when none does. */
export function firstCodePoint(text: string, pattern: RegExp): string | undefined {
  const found = pattern.exec(text)?.[0];
  return found === undefined ? undefined : codePointOf(found);
}

/**
 * A character that shows as nothing or as blank space: a format character (the zero-width ones,
 * the bidi marks, the BOM), a control, white space, a default-ignorable one (the Hangul fillers,
 * variation selectors), U+2800 BRAILLE PATTERN BLANK.
 */
export const INVISIBLE = /[\p{Cf}\p{Cc}\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]/u;

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/**
 * `text` with each invisible character written as its code point in angle brackets
 * (`1380013800\u200b` → `1380013800<U+200B>`), for a value echoed back as it was given: quoted as
 * is, the character shows as nothing, and the echo looks like a number that should have passed.
 * The plain space stays: it shows, and is how a number written in groups reads.
 */
export function showInvisible(text: string): string {
  return text.replace(INVISIBLE_ALL, (char) => (char === ' ' ? char : `<${codePointNumber(char)}>`));
}
