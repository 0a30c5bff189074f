--[[
  Ends a queued chunk as its claim would when its send says so (includes/send-ends-chunk.lua: the
  send failed, was cancelled or is past its deadline), and otherwise leaves it: the claim's end
  without the claim's attempt. For the repair sweep (src/repair/orphan-sweep.ts), on a queued chunk
  left without a job: a claim would end it without a call, so it is not looked up first. Like the
  claim, it reads the send and moves the chunk in one script (no other write between its check and
  its move), and moves the chunk only: the caller settles the send (completion.ts), as after a
  claim's end (`expired` past its deadline once nothing is left to send).

  Input:
    KEYS[1] chunk hash
    KEYS[2] send counts hash
    KEYS[3] send hash
    KEYS[4] events stream
    KEYS[5] recipient totals across sends
    ARGV[1] now (ms)
    ARGV[2] events maxlen

  Output:
    {'ended', state, code}   the chunk is now failed / cancelled / expired
    {'open'}                 its send goes on, or its record is gone: the chunk stays queued
    {'moved', state}         it is no longer queued (claimed since): left as it is
    {'missing'}              no such chunk

  Events:
    XADD events stream: type=chunk sendId chunkId from state n code at (when it ends the chunk)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "move-counts"
--@include "emit-chunk-event"
--@include "send-ends-chunk"

local f = redis.call('HMGET', KEYS[1], 'state', 'n', 'sendId', 'index')
if not f[1] then return {'missing'} end
local state, n = f[1], tonumber(f[2] or '0')
-- Only a chunk a claim would take: one past it may have reached Dysmsapi, and is looked up.
if not edgeTo(CHUNK_EDGES, 'claim', state) then return {'moved', state} end
local send = redis.call('HMGET', KEYS[3], 'state', 'code', 'control', 'deadline')
-- A send record gone is the sweep's send-missing end, not this one.
if not send[1] then return {'open'} end
local to, code, trigger = sendEndsChunk(send, state, tonumber(ARGV[1]))
if not to then return {'open'} end
endChunkBySend(KEYS, ARGV[2], f[3], f[3] .. '.' .. f[4], state, to, code, trigger, n, ARGV[1])
return {'ended', to, code}
