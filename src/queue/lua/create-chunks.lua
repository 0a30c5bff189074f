--[[
  Writes new chunks, a batch at a time: the chunk lifecycle's enqueue (new → queued,
  src/queue/lifecycle.ts) for each, with its recipients counted in its send's counts and, once for
  the batch, in the totals. Idempotent: a chunk that exists is left as it is (a retried enqueue).

  Input (a variable number of keys: the first argument of the call is their count):
    KEYS[1] recipient totals across sends
    KEYS[2..] two keys a chunk, in order: its hash, then its send's counts hash
    ARGV[1] now (ms)
    ARGV[2] ttl (s)
    ARGV[3..] five values a chunk, in the order of the keys: n (recipients), sendId, index, kind,
              payload

  Output:
    how many chunks were written (the others existed)
]]
--@include "lifecycle"
--@include "lifecycle-edges"

local state = mustEdge(CHUNK_EDGES, 'enqueue', 'new', 'chunk')
local now, ttl, created, counted = ARGV[1], ARGV[2], 0, 0
for i = 1, (#KEYS - 1) / 2 do
  local chunk, a = KEYS[2 * i], 5 * i - 2
  if redis.call('EXISTS', chunk) == 0 then
    local n = tonumber(ARGV[a])
    redis.call('HSET', chunk, 'state', state, 'attempt', 0, 'n', n, 'createdAt', now, 'updatedAt', now,
      'sendId', ARGV[a + 1], 'index', ARGV[a + 2], 'kind', ARGV[a + 3], 'payload', ARGV[a + 4])
    redis.call('EXPIRE', chunk, ttl)
    redis.call('HINCRBY', KEYS[2 * i + 1], state, n)
    created = created + 1
    counted = counted + n
  end
end
if counted > 0 then redis.call('HINCRBY', KEYS[1], state, counted) end
return created
