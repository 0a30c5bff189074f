--[[
  Whether a queued chunk's send says to end it rather than start an attempt, and how: the send
  failed as a whole → failed with the send's code (send-failed), cancelled → cancelled (cancel),
  past its deadline → expired (deadline), in that order. One place for the claim (claim-6.lua) and
  for the repair sweep's end of a queued chunk left without a job (end-by-send-5.lua), so that the
  sweep ends it exactly as its claim would have. `send` is the send hash's
  HMGET 'state', 'code', 'control', 'deadline'; `now` in ms. Returns the state and code to end it
  with, or nil when the send goes on.
]]
--@include "lifecycle"
--@include "lifecycle-edges"

local function sendEndsChunk(send, state, now)
  if send[1] == 'failed' then return mustEdge(CHUNK_EDGES, 'send-failed', state, 'chunk'), send[2] or 'SMSQ_SEND_FAILED' end
  if send[3] == 'cancelled' then return mustEdge(CHUNK_EDGES, 'cancel', state, 'chunk'), 'SMSQ_CANCELLED' end
  -- A deadline that is no number (a record written by hand) is none, as the repair sweep reads it (orphan-sweep.ts).
  local deadline = tonumber(send[4] or '')
  if deadline and deadline < now then return mustEdge(CHUNK_EDGES, 'deadline', state, 'chunk'), 'SMSQ_DEADLINE' end
  return nil, nil
end
