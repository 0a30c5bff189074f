--[[
  A move of a send's control (src/queue/lifecycle.ts): an operator's pause, resume, cancel; the
  withdrawal of an enqueue not confirmed durable (withdraw) and its end (withdrawal-lapsed); the
  repair sweep's cancel of a send paused up to the end of its retention (retention-lapsed). A move
  the table does not have from the current state is refused and changes nothing (a cancelled send
  stays cancelled; an ended one cannot be paused; a cancel of a send sent in full, `sent` or
  `completed`, moves nothing, and the caller refuses it: decided here, on the state this script
  reads, a send that goes `sent` while a cancel runs is either cancelled before or refused after,
  never cancelled once it went out). `resume` takes a send paused before its enqueue
  finished (no enqueuedAt) back to enqueuing. The `control` field (active, paused, cancelled),
  which the claim script reads, is written with the state. With ARGV[5], the move is made only
  while the send's controlReason is exactly that (a withdrawn send's mark, src/queue/withdrawal.ts:
  taken back by a retry or ended by the repair sweep, but not once an operator has moved it since).

  The index of withdrawn sends (the `smsq_sends_withdrawn` gauge, src/metrics/alert-state.ts) is
  written with the move, so that no withdrawal goes unseen and none is counted that did not
  happen: `withdraw` adds the send (its newest ARGV[7] kept), any other move of it takes it out
  (it holds it no more; the scrape drops those that other scripts moved or that expired). With
  ARGV[6], the move adds 1 to that field of the withdrawals counter (withdrawal.ts
  `withdrawalOutcome`).

  The index of paused sends (the `smsq_sends_paused` gauges, src/metrics/paused-sends.ts) is
  written with the move too: a move to `paused` other than `withdraw` adds the send (the first
  pause's time kept), any move of it out of `paused` by this script takes it out. Other scripts
  only end a paused send (sent, completed, expired, failed) or it expires: the scrape drops those,
  never one that could be paused again, so a pause is never lost to a race with the scrape.

  Input:
    KEYS[1] send hash
    KEYS[2] events stream
    KEYS[3] withdrawn sends index (sorted set: sendId scored by when it was withdrawn, ms)
    KEYS[4] withdrawals counter (hash: outcome → count)
    KEYS[5] paused sends index (sorted set: sendId scored by when it was paused, ms)
    ARGV[1] trigger (pause | resume | cancel | withdraw | withdrawal-lapsed | retention-lapsed)
    ARGV[2] reason (recorded as controlReason)
    ARGV[3] now (ms)
    ARGV[4] events maxlen
    ARGV[5] the controlReason the send must have for the move ('' or absent: any)
    ARGV[6] the withdrawals counter's field to count the move in ('' or absent: none)
    ARGV[7] how many of the newest withdrawn sends the index keeps

  Output:
    {state before, state after} (after = before when it did not move); false when there is no such send
    An error SMSQ_UNDECLARED_TRANSITION when the table has no such trigger (nothing changed).

  Events:
    XADD events stream: type=send sendId from state code at (when it moves)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "send-state"

checkDeclared(SEND_EDGES, ARGV[1], 'send')
-- Read before any write: a missing count must not fail the script after the move.
local keep = tonumber(ARGV[7]) or 1000
local s = redis.call('HMGET', KEYS[1], 'state', 'sendId', 'enqueuedAt', 'control', 'controlReason')
if not s[1] then return false end
local state = s[1]
-- A record written before sends had these states kept the operator's control apart (its enqueue was done).
local legacy = state == 'active' and (s[4] == 'paused' or s[4] == 'cancelled')
if legacy then state = s[4] end
-- A mark that is gone (taken back, or an operator's move since): not the send the caller judged.
if ARGV[5] and ARGV[5] ~= '' and s[5] ~= ARGV[5] then return {state, state} end
local trigger = ARGV[1]
if trigger == 'resume' and state == 'paused' and not s[3] and not legacy then trigger = 'resume-enqueuing' end
local to = edgeTo(SEND_EDGES, trigger, state)
if not to then return {state, state} end
local control = (to == 'paused' or to == 'cancelled') and to or 'active'
if to == state then
  -- Already there: only a new reason is recorded; the same one writes nothing ("nothing changed").
  if s[4] ~= control or s[5] ~= ARGV[2] then redis.call('HSET', KEYS[1], 'control', control, 'controlReason', ARGV[2]) end
else
  moveSend(KEYS[1], KEYS[2], ARGV[4], s[2], state, to, ARGV[3], '', {'control', control, 'controlReason', ARGV[2]})
end
if trigger == 'withdraw' then
  redis.call('ZADD', KEYS[3], ARGV[3], s[2])
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -keep - 1)
else
  redis.call('ZREM', KEYS[3], s[2])
end
if to == 'paused' and trigger ~= 'withdraw' then
  redis.call('ZADD', KEYS[5], 'NX', ARGV[3], s[2])
elseif to ~= 'paused' then
  redis.call('ZREM', KEYS[5], s[2])
end
if ARGV[6] and ARGV[6] ~= '' then redis.call('HINCRBY', KEYS[4], ARGV[6], 1) end
return {state, to}
