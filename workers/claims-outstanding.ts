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

/** One job's claim, moved through its stages by the send processor; every stage is optional. */
export interface ClaimTrack {
  /** The claim is sent to Redis. */
  claiming(): void;
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
}

type Stage = keyof OutstandingClaims;

export function createClaimsOutstanding(): ClaimsOutstanding {
  const counts: OutstandingClaims = { claimsUnanswered: 0, callsNotStarted: 0, callsInFlight: 0, answersUnrecorded: 0, undosUnanswered: 0 };
  return {
    track() {
      let at: Stage | undefined;
      const move = (to: Stage | undefined) => {
        if (at) counts[at]--;
        if (to) counts[to]++;
        at = to;
      };
      return {
        claiming: () => move('claimsUnanswered'),
        claimed: () => move('callsNotStarted'),
        calling: () => move('callsInFlight'),
        answered: () => move('answersUnrecorded'),
        undoing: () => move('undosUnanswered'),
        done: () => move(undefined),
      };
    },
    now: () => ({ ...counts }),
  };
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

/**
 * The forced-exit line of `smsq worker`: how many chunks it leaves `sending`, how many of them
 * were mid-call, and that they are looked up before anything is resent.
 */
export function leftSendingText(c: OutstandingClaims): string {
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
