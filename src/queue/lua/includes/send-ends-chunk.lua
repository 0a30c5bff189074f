--[[
  Whether a queued chunk's send says to end it rather than start an attempt, and how: the send
  failed as a whole → failed with the send's code (send-failed), cancelled → cancelled (cancel),
  past its deadline → expired (deadline), in that order. One place for the claim (claim-6.lua) and
  for the repair sweep's end of a queued chunk left without a job (end-by-send-5.lua), so that the
  sweep ends it exactly as its claim would have. `send` is the send hash's
  HMGET 'state', 'code', 'control', 'deadline'; `now` in ms (a number or its text: converted only
  when the send has a deadline). Returns the state and code to end it
  with and the trigger that ends it, or nil when the send goes on.

  endChunkBySend then makes that end, for both: the chunk's state and code, the counts, the event,
  and for an end by the deadline the send's `deadlineExpired`, the recipients its deadline expired
  unsent. That count, not the send's `expired` count, decides whether the send ends `expired`
  (send-state.lua moveAllSent): `expired` also holds recipients whose attempt in doubt could not be
  looked up (lookup-gave-up) or whose receipt window ended, none of which the deadline cut short.
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "move-counts"
--@include "emit-chunk-event"

local function sendEndsChunk(send, state, now)
  if send[1] == 'failed' then return mustEdge(CHUNK_EDGES, 'send-failed', state, 'chunk'), send[2] or 'SMSQ_SEND_FAILED', 'send-failed' end
  if send[3] == 'cancelled' then return mustEdge(CHUNK_EDGES, 'cancel', state, 'chunk'), 'SMSQ_CANCELLED', 'cancel' end
  -- A deadline that is no number (a record written by hand) is none, as the repair sweep reads it (orphan-sweep.ts).
  local deadline = tonumber(send[4] or '')
  if deadline and deadline < tonumber(now) then return mustEdge(CHUNK_EDGES, 'deadline', state, 'chunk'), 'SMSQ_DEADLINE', 'deadline' end
  return nil, nil, nil
end

-- keys: chunk hash, send counts, send hash, events stream, recipient totals (the first five KEYS of
-- claim-6.lua and end-by-send-5.lua alike).
local function endChunkBySend(keys, maxlen, sendId, chunkId, state, to, code, trigger, n, now)
  redis.call('HSET', keys[1], 'state', to, 'code', code, 'updatedAt', now)
  move(keys[2], keys[5], state, to, n)
  -- By the trigger, not the code: a send failed as a whole records its own code on the chunk.
  if trigger == 'deadline' then redis.call('HINCRBY', keys[3], 'deadlineExpired', n) end
  emit(keys[4], maxlen, sendId, chunkId, state, to, n, code, now)
end
