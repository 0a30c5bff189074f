/**
 * The send chunks this process has claimed (moved to `sending` in Redis, with a fresh OutId) and
 * whose outcome it has not recorded yet, by how far each has got: what a process that exits at once
 * leaves `sending`. The worker that takes such a chunk's job back finds it `sending`, and looks the
 * attempt up (QuerySendDetails) before anything is resent (claim-6.lua, reconcile-processor.ts).
 *
 * Counted by the send processor between the claim and the record of the answer (or the undo of
 * the attempt), not at the SMS client: a claim waits for its durability confirmation and its pacer
 * slot before its call, and at a low SMS_QPS most of a worker's claims are there, not in a call.
 */

/** A snapshot of the claims outstanding, by stage. */
export interface OutstandingClaims {
  /** Claims sent to Redis whose reply has not come: their chunks may be `sending` too. */
  claimsUnanswered: number;
  /** Claimed, and the call not started (the claim's durability confirmation or its pacer slot is awaited). */
  callsNotStarted: number;
  /** Claimed, and the call made and not answered (mid-call). */
  callsInFlight: number;
  /** Claimed, and the call answered; the answer is not recorded yet. */
  answersUnrecorded: number;
  /**
   * Claimed, no call made, and the undo of the claim sent to Redis without its reply yet (a
   * closing worker undoes every claim waiting for its slot at once): their chunks may be `sending` too.
   */
  undosUnanswered: number;
}

/** The chunks a process exiting now leaves `sending` for certain (the unanswered claims and undos aside). */
export function chunksLeftSending(c: OutstandingClaims): number {
  return c.callsNotStarted + c.callsInFlight + c.answersUnrecorded;
}

/** A chunk a claim is outstanding on, and its send: what `smsq status` is run on. */
export interface OutstandingChunk {
  sendId: string;
  chunkId: string;
}

/** One job's claim, moved through its stages by the send processor; every stage is optional. */
export interface ClaimTrack {
  /** The claim of `chunkId` (of `sendId`) is sent to Redis. */
  claiming(sendId: string, chunkId: string): void;
  /** Redis answered that the chunk is this job's to send (`sending`, this attempt's OutId). */
  claimed(): void;
  /** The call is about to be made. */
  calling(): void;
  /** The call is answered. */
  answered(): void;
  /** No call was made, and the claim's undo is sent to Redis. */
  undoing(): void;
  /** Nothing of it is outstanding any more: the answer or the undo is recorded, no claim was made, or the job ended otherwise. */
  done(): void;
}

export interface ClaimsOutstanding {
  /** A track for one job; counts nothing until its first stage. */
  track(): ClaimTrack;
  /** The counts now. */
  now(): OutstandingClaims;
  /** The chunks counted now: those left `sending` for certain first, then those whose claim or undo Redis has not answered. */
  chunks(): OutstandingChunk[];
}

/** The stages in the order {@link ClaimsOutstanding.chunks} names them: certain to be left `sending` first. */
const NAMING_ORDER: readonly Stage[] = ['callsInFlight', 'answersUnrecorded', 'callsNotStarted', 'claimsUnanswered', 'undosUnanswered'];

type Stage = keyof OutstandingClaims;

export function createClaimsOutstanding(): ClaimsOutstanding {
  const counts: OutstandingClaims = { claimsUnanswered: 0, callsNotStarted: 0, callsInFlight: 0, answersUnrecorded: 0, undosUnanswered: 0 };
  // Each outstanding claim's chunk and stage, in claim order (a Set keeps it).
  const claims = new Set<OutstandingChunk & { at: Stage }>();
  return {
    track() {
      let at: Stage | undefined;
      // One record a claim, its stage updated in place: a move is made four or five times a call.
      let claim: (OutstandingChunk & { at: Stage }) | undefined;
      const move = (to: Stage | undefined) => {
        if (at) counts[at]--;
        if (to) counts[to]++;
        at = to;
        if (!claim) return;
        if (to) claim.at = to;
        else {
          claims.delete(claim);
          claim = undefined;
        }
      };
      return {
        claiming: (sendId, chunkId) => {
          if (claim) claims.delete(claim);
          claim = { sendId, chunkId, at: 'claimsUnanswered' };
          claims.add(claim);
          move('claimsUnanswered');
        },
        claimed: () => move('callsNotStarted'),
        calling: () => move('callsInFlight'),
        answered: () => move('answersUnrecorded'),
        undoing: () => move('undosUnanswered'),
        done: () => move(undefined),
      };
    },
    now: () => ({ ...counts }),
    chunks: () => {
      const all = [...claims.values()];
      return NAMING_ORDER.flatMap((stage) => all.filter((c) => c.at === stage).map(({ sendId, chunkId }) => ({ sendId, chunkId })));
    },
  };
}

/** How many chunk ids (and send ids) a line names; the rest are counted. */
const NAMED = 5;

/** The first few of `ids`, and how many more. */
function firstFew(ids: readonly string[]): string {
  const more = ids.length > NAMED ? ` and ${ids.length - NAMED} more` : '';
  return `${ids.slice(0, NAMED).join(', ')}${more}`;
}

/** The fields of a log line naming `chunks`: the first few chunk ids and send ids. */
export function outstandingChunkFields(chunks: readonly OutstandingChunk[]): { chunkIds: string[]; sendIds: string[] } {
  return { chunkIds: chunks.slice(0, NAMED).map((c) => c.chunkId), sendIds: [...new Set(chunks.map((c) => c.sendId))].slice(0, NAMED) };
}

/**
 * `chunks` named for a person: the first few chunk ids and how many more, then their sends and the
 * command that shows one (`A.3, A.4 of send A (smsq status A)`); empty for none.
 */
export function outstandingChunksText(chunks: readonly OutstandingChunk[]): string {
  if (chunks.length === 0) return '';
  const sends = [...new Set(chunks.map((c) => c.sendId))];
  const status = sends.length === 1 ? `smsq status ${sends[0]}` : 'smsq status SEND_ID';
  return `${firstFew(chunks.map((c) => c.chunkId))} of ${plural(sends.length, 'send', 'sends')} ${firstFew(sends)} (${status})`;
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/**
 * The forced-exit line of `smsq worker`: how many chunks it leaves `sending`, how many of them
 * were mid-call, that they are looked up before anything is resent, and which (`chunks`, see
 * {@link outstandingChunksText}), so that `smsq status` can be run on their send.
 */
export function leftSendingText(c: OutstandingClaims, chunks: readonly OutstandingChunk[] = []): string {
  const named = chunks.length > 0 ? `; chunks: ${outstandingChunksText(chunks)}` : '';
  return leftSendingCounts(c) + named;
}

/**
 * What the `grace period over` line of a worker adds: how many chunks it leaves `sending` (and how
 * many more may be, their claim or undo unanswered by Redis), and which; empty for none.
 */
export function graceOverLeftText(c: OutstandingClaims, chunks: readonly OutstandingChunk[]): string {
  if (chunks.length === 0) return '';
  const n = chunksLeftSending(c);
  const maybe = chunks.length > n ? `, ${chunks.length - n} more maybe (claim or undo not answered by Redis)` : '';
  return `; ${n} ${plural(n, 'chunk', 'chunks')} left sending${maybe}: ${outstandingChunksText(chunks)}`;
}

/** {@link leftSendingText} without the chunks' ids. */
function leftSendingCounts(c: OutstandingClaims): string {
  const n = chunksLeftSending(c);
  const claims =
    c.claimsUnanswered > 0
      ? `; ${c.claimsUnanswered} more ${plural(c.claimsUnanswered, 'claim', 'claims')} had no reply from Redis: ${plural(c.claimsUnanswered, 'its chunk', 'their chunks')} may be left sending too, looked up the same way`
      : '';
  const undos =
    c.undosUnanswered > 0
      ? `; ${c.undosUnanswered} ${plural(c.undosUnanswered, 'claim', 'claims')} not called ${plural(c.undosUnanswered, 'was', 'were')} being undone, the undo not answered by Redis: ${plural(c.undosUnanswered, 'its chunk', 'their chunks')} may be left sending too, looked up the same way`
      : '';
  const unanswered = claims + undos;
  if (n === 0) return `forced exit: no chunk this worker claimed is left sending (no call in flight)${unanswered}`;
  const stages = [
    c.callsInFlight > 0 ? `${c.callsInFlight} mid-call` : undefined,
    c.answersUnrecorded > 0 ? `${c.answersUnrecorded} answered, the answer not recorded` : undefined,
    c.callsNotStarted > 0 ? `${c.callsNotStarted} not called yet` : undefined,
  ].filter((s) => s !== undefined);
  const how = c.callsNotStarted === n ? `none mid-call: ${plural(n, 'its call had', 'their calls had')} not started` : stages.join(', ');
  return (
    `forced exit: ${n} ${plural(n, 'chunk', 'chunks')} this worker claimed ${plural(n, 'is', 'are')} left sending (${how}); ` +
    `${plural(n, 'it', 'each')} is looked up (QuerySendDetails) before anything is resent, once a running worker takes ${plural(n, 'its job', 'their jobs')} back${unanswered}`
  );
}
