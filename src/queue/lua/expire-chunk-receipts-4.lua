--[[
  Ends the receipt window of an accepted chunk whose numbers cannot be read any more (its stored
  payload was altered in Redis, src/queue/stored-payload.ts; src/receipts/window-expiry.ts): its
  recipients still without a final receipt become `expired` by chunk, as many as the chunk holds
  less the receipts its tally counts (apply-receipt-6.lua keeps it), since no number says which
  they are. Once per chunk: it records how many it expired (`windowExpired`, and in the tally),
  a second run changes nothing, and a receipt that comes later is not applied (apply-receipt-6.lua
  answers it as a duplicate: a final state never goes back). No more than the send counts
  accepted move (a chunk accepted before receipts were tallied may count fewer than it had):
  no count leaves 0..n.

  Input:
    KEYS[1] chunk hash
    KEYS[2] send counts hash
    KEYS[3] events stream
    KEYS[4] recipient totals across sends
    ARGV[1] now (ms)
    ARGV[2] events maxlen
    ARGV[3] the code the recipients expire with
    ARGV[4] why their numbers cannot be read (recorded on the chunk as `reason`)

  Output:
    {'expired', n, pending}   n recipients expired; pending = recipients of the send still without
                              an outcome (queued, sending, unknown, accepted)
    {'done', n}               expired by chunk before (n then)
    {'not-accepted', state}   ('missing': no chunk)

  Events:
    XADD events stream: type=chunk sendId chunkId from=accepted state=expired n code at (when n > 0)
]]
--@include "move-counts"
--@include "emit-chunk-event"

local f = redis.call('HMGET', KEYS[1], 'state', 'n', 'sendId', 'index', 'windowExpired')
if not f[1] then return {'not-accepted', 'missing'} end
if f[1] ~= 'accepted' then return {'not-accepted', f[1]} end
if f[5] then return {'done', f[5]} end
-- The final receipt states (recipient-store.ts FINAL_RECIPIENT_STATES); HMGET rather than HGETALL,
-- which would read the payload too.
local tally = redis.call('HMGET', KEYS[1], 'receipts.delivered', 'receipts.failed', 'receipts.expired', 'receipts.suppressed', 'receipts.rejected')
local tallied = 0
for _, v in ipairs(tally) do tallied = tallied + (tonumber(v or '0') or 0) end
local accepted = tonumber(redis.call('HGET', KEYS[2], 'accepted') or '0')
local n = math.max(0, math.min(tonumber(f[2] or '0') - tallied, accepted))
redis.call('HSET', KEYS[1], 'windowExpired', n, 'reason', ARGV[4], 'updatedAt', ARGV[1])
if n > 0 then
  redis.call('HINCRBY', KEYS[1], 'receipts.expired', n)
  move(KEYS[2], KEYS[4], 'accepted', 'expired', n)
  emit(KEYS[3], ARGV[2], f[3], f[3] .. '.' .. f[4], 'accepted', 'expired', n, ARGV[3], ARGV[1])
end
local c = redis.call('HMGET', KEYS[2], 'queued', 'sending', 'unknown', 'accepted')
local pending = 0
for _, v in ipairs(c) do pending = pending + tonumber(v or '0') end
return {'expired', tostring(n), tostring(pending)}
