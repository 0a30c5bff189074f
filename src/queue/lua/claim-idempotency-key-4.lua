--[[
  Claims an Idempotency-Key for a request (producers/idempotency.ts). A record from before
  fingerprints (a send id alone) matches any body.

  Input:
    KEYS[1] the key's record (`<sendId> <fingerprint>`)
    KEYS[2] its lease
    KEYS[3] the digests of the first request's fields (to say which differ; absent for keys
            claimed by earlier versions)
    KEYS[4] the mark of an enqueue that ended (a hash: `send`, the send id it ended for)
    ARGV[1] a fresh send id
    ARGV[2] the request's fingerprint
    ARGV[3] record ttl (s)
    ARGV[4] lease (ms)
    ARGV[5] lease token
    ARGV[6] the digests of the request's fields

  Output:
    {'new', sendId}                record and lease written
    {'mismatch', sendId, fields}   the key stands for another body (fields: its digests, or false)
    {'done', sendId}               its enqueue ended (the mark says so, whether or not its send's
                                   records are still there): the send, never enqueued again
    {'lease', sendId}              no live holder and no mark: the lease is now ours
    {'busy', sendId}               another caller holds the lease
  The same call run twice (the same lease token: its first answer lost) answers as it did.
]]
local record = redis.call('GET', KEYS[1])
if not record then
  -- A live lease without its record (the record of a producer before leases kept it alive ran
  -- out under it): its holder is still writing, so the key is not new.
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'busy', false} end
  -- Never shorter than the lease: the record must not run out before its holder renews it.
  local keep = math.max(tonumber(ARGV[3]) * 1000, tonumber(ARGV[4]))
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', keep)
  redis.call('SET', KEYS[3], ARGV[6], 'PX', keep)
  -- A mark left by an earlier request under this key (its record expired first) is not this send's.
  redis.call('DEL', KEYS[4])
  redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
  return {'new', ARGV[1]}
end
local space = string.find(record, ' ', 1, true)
local sendId = space and string.sub(record, 1, space - 1) or record
if space and string.sub(record, space + 1) ~= ARGV[2] then return {'mismatch', sendId, redis.call('GET', KEYS[3])} end
if not redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4], 'NX') then
  -- Held under this call's own token: this very claim ran before and its answer was lost (its link
  -- closed with it on the wire, and the Cluster client sent it again, to the slot's master or a
  -- replica promoted with it). Answered as it was then: {'busy'} kept the caller waiting on a lease
  -- nobody would let go, and refused it as still being enqueued by an earlier request.
  if redis.call('GET', KEYS[2]) ~= ARGV[5] then return {'busy', sendId} end
  if sendId == ARGV[1] then return {'new', sendId} end
end
if redis.call('HGET', KEYS[4], 'send') == sendId then
  redis.call('DEL', KEYS[2])
  return {'done', sendId}
end
-- Ours while we write: the record must not run out before the lease does.
local lease = tonumber(ARGV[4])
for i = 1, 3, 2 do
  local left = redis.call('PTTL', KEYS[i])
  if left >= 0 and left < lease then redis.call('PEXPIRE', KEYS[i], lease) end
end
return {'lease', sendId}
