--[[
  Records a final receipt for one recipient of an accepted chunk (src/receipts/recipient-store.ts).
  Idempotent (a repeat or an out-of-order report changes nothing: a final state never goes back)
  and atomic with the per-send counts and the event. What comes from outside is checked here,
  where the check and the write cannot be separated: the number must be a recipient of the chunk,
  and a pushed report must name the chunk's current attempt (its OutId) and, once the chunk knows
  it, its BizId. Whatever fails a check is counted in the refused-reports hash and changes nothing
  else. A receipt moves one recipient from `accepted`, so it is refused (`out-of-bounds`) when the
  send counts no accepted recipient left: no sequence of receipts takes a count below 0 or above
  the send's recipients. The chunk tallies the receipts it applies by state (`receipts.<state>`):
  once its numbers cannot be read, the tally is what still says how many of its recipients have
  one (expire-chunk-receipts.lua); after that expired them by chunk, a receipt is a duplicate.

  Input:
    KEYS[1] the send's recipients hash
    KEYS[2] send counts hash
    KEYS[3] chunk hash
    KEYS[4] events stream
    KEYS[5] recipient totals across sends
    KEYS[6] refused-reports counts (hash: reason → count)
    ARGV[1] phone
    ARGV[2] the encoded receipt
    ARGV[3] state
    ARGV[4] code
    ARGV[5] now (ms)
    ARGV[6] events maxlen
    ARGV[7] ttl of the recipients hash (s) when its chunk has none (it lives as long as its chunk)
    ARGV[8] the OutId the receipt names ('' = none to check: our own look-ups and the receipt window)
    ARGV[9] the BizId it names (checked only with ARGV[8]; '' = none given)

  Output:
    {'applied', pending}  pending = recipients of the send still without an outcome (queued,
                          sending, unknown, accepted)
    {'duplicate', existing ('' when its chunk was expired by chunk)} | {'not-accepted', chunkState ('missing': no chunk)} | {'other-attempt', ''}
    | {'other-biz-id', ''} | {'not-recipient', ''} | {'out-of-bounds', accepted}

  Events:
    XADD events stream: type=recipient sendId chunkId phone state code at (when applied)
]]
local chunk = redis.call('HMGET', KEYS[3], 'state', 'outId', 'bizId', 'payload', 'sendId', 'index', 'windowExpired')
local function refuse(reason, detail)
  redis.call('HINCRBY', KEYS[6], reason, 1)
  return {reason, detail or ''}
end
-- No chunk (its send compacted, or past its retention): nothing to check it against here; the
-- caller reads what compaction kept (recipient-store.ts applyLate), else it is not about a send.
if not chunk[1] then return {'not-accepted', 'missing'} end
if ARGV[8] ~= '' then
  if ARGV[8] ~= chunk[2] then return refuse('other-attempt') end
  if chunk[3] and chunk[3] ~= '' and ARGV[9] ~= chunk[3] then return refuse('other-biz-id') end
end
if chunk[1] ~= 'accepted' then return {'not-accepted', chunk[1] or 'missing'} end
-- Numbers are normalised digits, stored as JSON strings: a quoted plain find inside the phones
-- array is exact, and costs a scan of the payload rather than decoding it for every receipt.
local _, _, phones = string.find(chunk[4] or '', '"phones":(%[[^%]]*%])')
if not phones or not string.find(phones, '"' .. ARGV[1] .. '"', 1, true) then return refuse('not-recipient') end
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {'duplicate', existing} end
-- Expired by chunk: every recipient of it without a receipt then is final, this one too.
if chunk[7] then return {'duplicate', ''} end
local accepted = tonumber(redis.call('HGET', KEYS[2], 'accepted') or '0')
if accepted < 1 then return refuse('out-of-bounds', tostring(accepted)) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then
  -- The chunk's lifetime is its kind's retention (src/queue/retention.ts): the receipts go with it.
  local ttl = redis.call('TTL', KEYS[3])
  redis.call('EXPIRE', KEYS[1], ttl > 0 and ttl or ARGV[7])
end
redis.call('HINCRBY', KEYS[3], 'receipts.' .. ARGV[3], 1)
redis.call('HINCRBY', KEYS[2], 'accepted', -1)
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('HINCRBY', KEYS[5], 'accepted', -1)
redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'type', 'recipient', 'sendId', chunk[5], 'chunkId', chunk[5] .. '.' .. chunk[6],
  'phone', ARGV[1], 'state', ARGV[3], 'code', ARGV[4], 'at', ARGV[5])
local c = redis.call('HMGET', KEYS[2], 'queued', 'sending', 'unknown', 'accepted')
local pending = 0
for _, v in ipairs(c) do pending = pending + tonumber(v or '0') end
return {'applied', tostring(pending)}
