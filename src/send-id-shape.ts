/**
 * What a send id looks like, for the messages that refuse one or do not find it: a user who typed
 * `smsq status 'bad id!'` was told only "not found", or commander's "too many arguments".
 * producers/send-id.ts makes them (`s`, the time in base 36, 12 hex digits).
 */

/** An id as an enqueue answers it. */
export const SEND_ID_EXAMPLE = 'smx8k5nwj5d7ae857a7a7';

/** The ids a look-up takes (ids made by other versions included): 1-64 letters, digits, `.`, `_` or `-`. */
export const SEND_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A send id in words, for a message's fix. */
export const SEND_ID_SHAPE = `a send id is "s" and lowercase letters and digits, like ${SEND_ID_EXAMPLE}, as the enqueue answered it`;

/** The refusal of a value that cannot be a send id (REST's path, the CLI's argument). */
export const NOT_A_SEND_ID = `is not a send id (1-64 letters, digits, . _ or -): ${SEND_ID_SHAPE}`;
