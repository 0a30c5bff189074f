--[[
  Writes a send's record: the send lifecycle's enqueue (new → enqueuing, src/queue/lifecycle.ts).
  Only the first enqueue of a send id writes it; a retried enqueue keeps the record. Its counts
  hash is created (and its lifetime renewed) either way.

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    ARGV[1] ttl (s)
    ARGV[2..] field/value pairs of the record

  Output:
    1 written; 0 it existed
]]
--@include "lifecycle"

redis.call('HSETNX', KEYS[2], 'queued', 0)
redis.call('EXPIRE', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', mustEdge(SEND_EDGES, 'enqueue', 'new', 'send'))
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
