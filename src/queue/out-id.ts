import { newNonce } from './nonce.js';

/**
 * OutId of an attempt: `<sendId>.<chunk index>.<attempt>-<nonce>`. The nonce makes every attempt's
 * OutId unique even when a Redis that lost its last writes hands out the same attempt number
 * twice, so a look-up can tell the two apart. OutIds of earlier versions have no nonce.
 */
export interface ParsedOutId {
  sendId: string;
  index: string;
  chunkId: string;
  attempt: number;
}

/**
 * Digits of the largest attempt an OutId of ours names: {@link MAX_ATTEMPT}. Attempts grow by one
 * per claim (claim-6.lua), each claim a call or one undone before its call, and nothing else limits
 * a chunk's claims (`maxStartedAttempts` bounds one job's starts, not a chunk's attempts): a chunk
 * claimed a billion times would have spent more than two days of the account's whole cap (5000
 * calls a second at most) on itself alone, so no chunk of ours comes near it. Nine digits also stay
 * far inside what Lua prints plainly (`tostring` gives 14 digits, then `1e+14`) and inside
 * JavaScript's safe integers: an attempt past them would be stored and printed as another number.
 */
export const MAX_ATTEMPT_DIGITS = 9;
/**
 * The largest attempt of ours. An OutId naming a larger one, or an attempt written otherwise than as
 * claim-6.lua writes it (a leading zero, 0 itself), is not ours: set aside as another system's. The
 * claim gives a chunk up (SMSQ_GAVE_UP) rather than make an attempt past it, and a transition
 * adopts none past it (transition-7.lua; both read it from {@link outIdLua}).
 */
export const MAX_ATTEMPT = 10 ** MAX_ATTEMPT_DIGITS - 1;

/**
 * How far ahead of the record's attempt an outcome's attempt may be and still be adopted. Adoption
 * rests on the record having lost writes (a Redis that forgot its last second, a failover), and
 * what it lost are the claims of those moments: a few at most, each a call or one undone before
 * its call. An attempt further ahead proves no loss of ours: it is refused as another attempt
 * (transition-7.lua, through {@link outIdLua}), or a pushed report naming `MAX_ATTEMPT` would make
 * a queued chunk give up (SMSQ_GAVE_UP) before its first call.
 */
export const MAX_ATTEMPT_LEAD = 1000;

/** True when an outcome for attempt `theirs` proves the record (at `recorded`) lost it: adopted. */
export function isAdoptableAttempt(theirs: number, recorded: number): boolean {
  return theirs > recorded && theirs - recorded <= MAX_ATTEMPT_LEAD;
}

/** A chunk record's attempt as claims write it (claim-6.lua): 0 before its first, then plain digits up to MAX_ATTEMPT. */
const RECORDED_ATTEMPT = new RegExp(`^(?:0|[1-9][0-9]{0,${MAX_ATTEMPT_DIGITS - 1}})$`);

/**
 * The attempt a chunk record holds when it is none our claims make (`1e+20`, `1e+14`, `1000000000`:
 * versions before the bound adopted one from a forged pushed report, stored as Lua printed it);
 * undefined when it is ours, or absent (no claim yet). No look-up job can name such an attempt
 * (ReconcileJobData), and no OutId of ours does: src/repair/foreign-attempt.ts ends the chunk.
 */
export function foreignAttemptOf(recorded: string | null | undefined): string | undefined {
  return recorded == null || RECORDED_ATTEMPT.test(recorded) ? undefined : recorded;
}

/** The longest nonce an OutId read as ours may carry: ours are 10 hex digits (nonce.ts), the bound leaves room for a longer draw, not for any text. */
const MAX_NONCE_LENGTH = 16;

const OUT_ID = new RegExp(`^(s[0-9a-z]+)\\.([0-9]+(?:-[0-9]+)*)\\.([1-9][0-9]{0,${MAX_ATTEMPT_DIGITS - 1}})(?:-([0-9a-z]{1,${MAX_NONCE_LENGTH}}))?$`);

/** A fresh nonce for the next attempt's OutId (the claim script appends it): 40 random bits, hex. */
export function newOutIdNonce(): string {
  return newNonce();
}

/** Our OutIds, parsed; anything else (another system's OutId, a forged one) is undefined. */
export function parseOutId(outId: string | undefined): ParsedOutId | undefined {
  if (!outId) return undefined;
  const m = OUT_ID.exec(outId);
  if (!m) return undefined;
  const sendId = m[1] as string;
  const index = m[2] as string;
  return { sendId, index, chunkId: `${sendId}.${index}`, attempt: Number(m[3]) };
}

/** True when `outId` names an attempt (any attempt) of this chunk. */
export function isOutIdOf(outId: string | undefined, chunkId: string): boolean {
  return parseOutId(outId)?.chunkId === chunkId;
}

/**
 * The Lua part `--@include "out-id"` (lua-source.ts): {@link MAX_ATTEMPT}, the attempt of a
 * caller's OutId of a chunk, read as parseOutId reads it, and which attempts are adopted
 * ({@link isAdoptableAttempt}). A script checks what it is given: a caller
 * that skipped parseOutId must not make it store an attempt Lua would print as another number.
 */
export function outIdLua(): string {
  return [
    '-- Generated from src/queue/out-id.ts (outIdLua): the bound of an OutId\'s attempt.',
    `local MAX_ATTEMPT = ${MAX_ATTEMPT}`,
    '',
    '-- The attempt `outId` names if it is an OutId of the chunk `chunkId` (as out-id.ts parses one:',
    `-- plain digits, no leading zero, at most MAX_ATTEMPT; a nonce of 1 to ${MAX_NONCE_LENGTH} of [0-9a-z]):`,
    '-- the number and its text; nil otherwise.',
    'local function attemptOfOutId(outId, chunkId)',
    "  if string.sub(outId, 1, #chunkId + 1) ~= chunkId .. '.' then return nil end",
    '  local rest = string.sub(outId, #chunkId + 2)',
    "  local digits, nonce = string.match(rest, '^([1-9]%d*)$'), ''",
    "  if not digits then digits, nonce = string.match(rest, '^([1-9]%d*)%-([%da-z]+)$') end",
    `  if not digits or #digits > ${MAX_ATTEMPT_DIGITS} or #nonce > ${MAX_NONCE_LENGTH} then return nil end`,
    '  return tonumber(digits), digits',
    'end',
    '',
    `local MAX_ATTEMPT_LEAD = ${MAX_ATTEMPT_LEAD}`,
    '',
    '-- True when an outcome for attempt `theirs` proves the record (at `recorded`) lost it (out-id.ts isAdoptableAttempt).',
    'local function isAdoptableAttempt(theirs, recorded)',
    '  return theirs > recorded and theirs - recorded <= MAX_ATTEMPT_LEAD',
    'end',
    '',
  ].join('\n');
}
