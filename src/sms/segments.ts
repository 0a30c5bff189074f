/**
 * Message length and billing segments. Dysmsapi bills a message of at most 70 characters as one SMS;
 * longer content is split into parts of 67 characters (the rest of each part carries the concatenation
 * header), and at most 500 characters are accepted. The signature (`【签名】`) counts toward the length.
 * Characters are counted as Unicode code points, so an emoji counts once.
 */

export const SINGLE_SEGMENT_CHARS = 70;
export const MULTI_SEGMENT_CHARS = 67;
export const MAX_CHARS = 500;

export interface SegmentCount {
  /** Length in code points. */
  chars: number;
  /** Billed messages (0 for empty text). Still computed when `tooLong`. */
  segments: number;
  /** More than {@link MAX_CHARS} characters: the API refuses it. */
  tooLong: boolean;
}

/** Counts characters and billed segments of the full text (signature included, see {@link renderContent}). */
export function countSegments(text: string): SegmentCount {
  let chars = 0;
  // Iterating a string yields code points, so surrogate pairs count once.
  for (const _ of text) chars++;
  const segments = chars === 0 ? 0 : chars <= SINGLE_SEGMENT_CHARS ? 1 : Math.ceil(chars / MULTI_SEGMENT_CHARS);
  return { chars, segments, tooLong: chars > MAX_CHARS };
}

/**
 * The text a recipient sees: `【sign】` followed by the template content with each `${var}` replaced by
 * its param. Variables without a param stay as written, so a preview shows what is missing.
 */
export function renderContent(sign: string, content: string, params: Readonly<Record<string, string>> = {}): string {
  const body = content.replace(/\$\{([^${}\s]+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
  return `【${sign}】${body}`;
}
