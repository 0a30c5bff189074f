--[[
  Ends the receipt window of an accepted chunk whose numbers cannot be read any more (its stored
  payload was altered in Redis, src/queue/stored-payload.ts; src/receipts/window-expiry.ts): its
  recipients still without a final receipt become `expired` by chunk, since no number says which
  they are. Once per chunk: it records how many it expired (`windowExpired`, and in the tally), a
  second run changes nothing, and a receipt that comes later is not applied (apply-receipt-6.lua
  answers it as a duplicate: a final state never goes back).

  How many: what this chunk may still hold, and never a recipient another chunk may hold.
  - Its own bound: its recipients (`n`) less the receipts its tally counts (`receipts.<state>`,
    kept by apply-receipt-6.lua). Too many for a chunk that got receipts from a version before the
    tally (aaa3b58 and earlier), which the tally does not count; nothing on the chunk says so.
  - What its send leaves it: the send's `accepted` count less, for each of the send's other
    accepted chunks (a split chunk's children in its place), that chunk's own bound. Each bound is
    no less than what its chunk holds, so this is no more than what this one holds; exact when the
    other chunks' tallies are (a send whose chunks were accepted by a version that tallies; a send
    of one chunk). Without the send's chunk count (no send record, or a campaign stopped part-way
    or finished by the repair sweep, which write none) no other chunk can be read, and the send's
    `accepted` count is the bound, as before the tally.
  The smaller of the two. Before, the cap was the send's `accepted` count alone: a chunk whose
  receipts were applied before the tally expired the recipients of another chunk, whose real
  receipts were then refused as out-of-bounds (test/integration/window-sweep.test.ts). What the
  chunk may still hold beyond it is answered (`left`): those stay `accepted`.

  Reads one HMGET per chunk of the send (no payload), once per chunk whose numbers cannot be read.

  Input:
    KEYS[1] chunk hash
    KEYS[2] send counts hash
    KEYS[3] events stream
    KEYS[4] recipient totals across sends
    KEYS[5] send hash (its `chunks`: how many chunks to read)
    KEYS[6..] the send's chunk keys, as the caller read them just before (send-chunk-keys.ts):
            every key it reads is named, as Redis Cluster requires (a version that built them
            from a prefix could read them on the node importing the slot while they were still on
            the owner, and count another chunk as holding nothing). One it needs that is not
            named (split since) refuses: {'keys-changed'}, and the caller reads them again.
    ARGV[1] now (ms)
    ARGV[2] events maxlen
    ARGV[3] the code the recipients expire with
    ARGV[4] why their numbers cannot be read (recorded on the chunk as `reason`)
    ARGV[5] what the send's chunk keys start with (`<prefix>:chunk:<sendId>.`; same slot: the tag)

  Output:
    {'expired', n, pending, left}     n recipients expired; pending = recipients of the send still
                                      without an outcome (queued, sending, unknown, accepted);
                                      left = how many more the chunk may hold at most, which the
                                      records cannot tell from another chunk's (they stay accepted)
    {'done', n}                       expired by chunk before (n then)
    {'not-accepted', state}           ('missing': no chunk)
    {'keys-changed'}                  a chunk to read is not in KEYS; nothing was changed

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
local FIELDS = {'state', 'n', 'receipts.delivered', 'receipts.failed', 'receipts.expired', 'receipts.suppressed', 'receipts.rejected'}
-- What a chunk may still hold: its recipients less the receipts it tallied; 0 when it is not accepted.
local function mayHold(key)
  local c = redis.call('HMGET', key, unpack(FIELDS))
  if c[1] ~= 'accepted' then return 0, c[1], tonumber(c[2] or '0') or 0 end
  local held = tonumber(c[2] or '0') or 0
  for i = 3, #FIELDS do held = held - (tonumber(c[i] or '0') or 0) end
  return math.max(0, held), c[1], tonumber(c[2] or '0') or 0
end

local own = mayHold(KEYS[1])
local accepted = tonumber(redis.call('HGET', KEYS[2], 'accepted') or '0') or 0
-- What the send's other chunks leave this one. Without the send's chunk count (a campaign stopped
-- part-way, or finished by the repair sweep, has none) no other chunk can be read: the send's
-- accepted count bounds it, as before the tally (leaving nothing would leave its recipients
-- accepted and the send never complete).
local chunks = tonumber(redis.call('HGET', KEYS[5], 'chunks') or '')
local leftToIt = accepted
if chunks then
  local declared = {}
  for k = 6, #KEYS do declared[KEYS[k]] = true end
  local undeclared = false
  local others = 0
  local function count(key)
    if key == KEYS[1] then return end
    if not declared[key] then
      undeclared = true
      return
    end
    local held, state, n = mayHold(key)
    others = others + held
    if state == 'split' then
      for j = 0, n - 1 do count(key .. '-' .. j) end
    end
  end
  for i = 0, chunks - 1 do count(ARGV[5] .. i) end
  if undeclared then return {'keys-changed'} end
  leftToIt = accepted - others
end
local n = math.max(0, math.min(own, leftToIt))

redis.call('HSET', KEYS[1], 'windowExpired', n, 'reason', ARGV[4], 'updatedAt', ARGV[1])
if n > 0 then
  redis.call('HINCRBY', KEYS[1], 'receipts.expired', n)
  move(KEYS[2], KEYS[4], 'accepted', 'expired', n)
  emit(KEYS[3], ARGV[2], f[3], f[3] .. '.' .. f[4], 'accepted', 'expired', n, ARGV[3], ARGV[1])
end
local c = redis.call('HMGET', KEYS[2], 'queued', 'sending', 'unknown', 'accepted')
local pending = 0
for _, v in ipairs(c) do pending = pending + tonumber(v or '0') end
-- It holds no more than its own count, nor than the send counted accepted.
return {'expired', tostring(n), tostring(pending), tostring(math.max(0, math.min(own, accepted) - n))}
