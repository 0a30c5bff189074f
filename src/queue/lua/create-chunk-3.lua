--[[
  Writes a new chunk: the chunk lifecycle's enqueue (new → queued, src/queue/lifecycle.ts), with
  its recipients counted in the send's counts and the totals. Idempotent: an existing chunk is
  left as it is (a retried enqueue).

  Input:
    KEYS[1] chunk hash
    KEYS[2] send counts hash
    KEYS[3] recipient totals across sends
    ARGV[1] n (recipients)
    ARGV[2] now (ms)
    ARGV[3] ttl (s)
    ARGV[4..] field/value pairs (sendId, index, kind, payload)

  Output:
    1 written; 0 it existed
]]
--@include "lifecycle"

if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local state = mustEdge(CHUNK_EDGES, 'enqueue', 'new', 'chunk')
redis.call('HSET', KEYS[1], 'state', state, 'attempt', 0, 'n', ARGV[1], 'createdAt', ARGV[2], 'updatedAt', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], state, tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[3], state, tonumber(ARGV[1]))
return 1
