--[[
  Marks a send's enqueue complete: the send lifecycle's enqueued (enqueuing → active,
  src/queue/lifecycle.ts), recording totals known only at the end (a campaign's) and enqueuedAt.
  The totals are recorded whatever the state; a send that failed as a whole or was cancelled
  meanwhile keeps its state, a paused one stays paused, and one already active stays active (a
  retried enqueue, the repair sweep finishing one). Its chunks may all have been sent (or ended)
  while it was enqueuing: it then moves on to `sent` or `completed` here, as nobody else would
  notice (its callback is left to the producer's settle after this).

  The end of an enqueue at the chunks written (send-cancel.ts: its totals with a reason and code
  SMSQ_ENQUEUE_CUT_SHORT, or SMSQ_ENQUEUE_ABANDONED) is written only to a send whose enqueue has
  not ended and that takes no more chunks: cancelled (cut short), or failed by the repair sweep as
  abandoned by its producer (that code already on it). One its producer ended meanwhile keeps the
  totals its producer knew (rows refused and duplicates too). A send whose producer had not
  recorded its totals (a campaign records them, its chunk count with them, at its end) loses its
  rows refused and duplicates: never counted, they are unknown, not 0 (send-store.ts status). A producer
  that ends its enqueue after a cancel ended it had written its whole list before the cancel
  (create-chunks.lua refuses anything after): its totals stand, if it gives any (a plain send's
  producer gives none: those the cancel counted from its chunks are its own), and the send was
  not cut short: the code and reason go.

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    KEYS[3] events stream
    ARGV[1] now (ms)
    ARGV[2] events maxlen
    ARGV[3..] field/value pairs of totals (may be none)

  Output:
    the send's state after (as it was when an end at the chunks written is not written); false when there is no such
    send (nothing written)

  Events:
    XADD events stream: type=send sendId from state code at (each move)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "send-state"

local s = redis.call('HMGET', KEYS[1], 'state', 'sendId', 'enqueuedAt', 'code', 'chunks')
local state = s[1]
if not state then return false end
-- The send state an end at the chunks written is for, by its code.
local ENDED_SHORT_IN = {SMSQ_ENQUEUE_CUT_SHORT = 'cancelled', SMSQ_ENQUEUE_ABANDONED = 'failed'}
local endedShort = nil
for i = 3, #ARGV, 2 do
  if ARGV[i] == 'code' and ENDED_SHORT_IN[ARGV[i + 1]] then endedShort = ARGV[i + 1] end
end
if endedShort then
  if s[3] or state ~= ENDED_SHORT_IN[endedShort] then return state end
  -- A send failed otherwise (its signature or template unusable) is not the sweep's abandon.
  if endedShort == 'SMSQ_ENQUEUE_ABANDONED' and s[4] ~= endedShort then return state end
  if (tonumber(s[5]) or 0) == 0 then redis.call('HDEL', KEYS[1], 'rejected', 'duplicates') end
elseif s[4] == 'SMSQ_ENQUEUE_CUT_SHORT' then
  -- Its producer's end (with totals, or none: a plain send's) or the repair sweep finishing a
  -- list written whole: not cut short.
  redis.call('HDEL', KEYS[1], 'code', 'reason')
end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if not s[3] then redis.call('HSET', KEYS[1], 'enqueuedAt', ARGV[1]) end
local to = edgeTo(SEND_EDGES, 'enqueued', state)
if to then moveSend(KEYS[1], KEYS[3], ARGV[2], s[2], state, to, ARGV[1], '', nil) end
return settleSend(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[1], false)[2]
