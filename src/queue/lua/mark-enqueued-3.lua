--[[
  Marks a send's enqueue complete: the send lifecycle's enqueued (enqueuing → active,
  src/queue/lifecycle.ts), recording totals known only at the end (a campaign's) and enqueuedAt.
  The totals are recorded whatever the state; a send that failed as a whole or was cancelled
  meanwhile keeps its state, a paused one stays paused, and one already active stays active (a
  retried enqueue, the repair sweep finishing one). Its chunks may all have been sent (or ended)
  while it was enqueuing: it then moves on to `sent` or `completed` here, as nobody else would
  notice (its callback is left to the producer's settle after this).

  The end of a cut-short enqueue (send-cancel.ts: its totals with code SMSQ_ENQUEUE_CUT_SHORT and
  a reason) is written only to a cancelled send whose enqueue has not ended: one its producer
  ended meanwhile keeps the totals its producer knew (rows refused and duplicates too). A producer
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
    the send's state after (a cut-short end not written: as it was); false when there is no such
    send (nothing written)

  Events:
    XADD events stream: type=send sendId from state code at (each move)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "send-state"

local s = redis.call('HMGET', KEYS[1], 'state', 'sendId', 'enqueuedAt', 'code')
local state = s[1]
if not state then return false end
local cutShort = false
for i = 3, #ARGV, 2 do
  if ARGV[i] == 'code' and ARGV[i + 1] == 'SMSQ_ENQUEUE_CUT_SHORT' then cutShort = true end
end
if cutShort then
  if s[3] or state ~= 'cancelled' then return state end
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
