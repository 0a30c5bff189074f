--[[
  Writes new chunks, a batch at a time: the chunk lifecycle's enqueue (new → queued,
  src/queue/lifecycle.ts) for each, with its recipients counted in its send's counts and, once for
  the batch, in the totals. Idempotent: a chunk that exists is left as it is (a retried enqueue).

  A cancelled send takes no new chunk: a cancel ends the enqueue of a send whose producer had not
  (send-cancel.ts: at the chunks written then), so a producer still writing it is refused, before
  anything of the batch is written, and told which send (its caller stops there).

  Input (a variable number of keys: the first argument of the call is their count):
    KEYS[1] recipient totals across sends
    KEYS[2..] three keys a chunk, in order: its hash, its send's counts hash, its send's hash
    ARGV[1] now (ms)
    ARGV[2] ttl (s)
    ARGV[3..] five values a chunk, in the order of the keys: n (recipients), sendId, index, kind,
              payload
    then, optionally, two more: how many rows of its list the campaign had read, and their
              digest (producers/list-digest.ts), kept in the first chunk (`listRows`,
              `listDigest`) when it is written now, for a repeat under the campaign's
              idempotency key to compare its list that far (producers/queued-before.ts)

  Output:
    {how many chunks were written (the others existed), ''}; or {0, sendId} when a chunk not
    written yet belongs to a cancelled send (nothing written)
]]
--@include "lifecycle"
--@include "lifecycle-edges"

local state = mustEdge(CHUNK_EDGES, 'enqueue', 'new', 'chunk')
local now, ttl, created, counted = ARGV[1], ARGV[2], 0, 0
local chunks = (#KEYS - 1) / 3
local fresh = {}
for i = 1, chunks do
  if redis.call('EXISTS', KEYS[3 * i - 1]) == 0 then
    if redis.call('HGET', KEYS[3 * i + 1], 'state') == 'cancelled' then return {0, ARGV[5 * i - 1]} end
    fresh[i] = true
  end
end
for i = 1, chunks do
  if fresh[i] then
    local chunk, a = KEYS[3 * i - 1], 5 * i - 2
    local n = tonumber(ARGV[a])
    redis.call('HSET', chunk, 'state', state, 'attempt', 0, 'n', n, 'createdAt', now, 'updatedAt', now,
      'sendId', ARGV[a + 1], 'index', ARGV[a + 2], 'kind', ARGV[a + 3], 'payload', ARGV[a + 4])
    redis.call('EXPIRE', chunk, ttl)
    redis.call('HINCRBY', KEYS[3 * i], state, n)
    created = created + 1
    counted = counted + n
  end
end
if fresh[1] and #ARGV == 2 + 5 * chunks + 2 then
  redis.call('HSET', KEYS[2], 'listRows', ARGV[#ARGV - 1], 'listDigest', ARGV[#ARGV])
end
if counted > 0 then redis.call('HINCRBY', KEYS[1], state, counted) end
return {created, ''}
