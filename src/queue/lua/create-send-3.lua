--[[
  Writes a send's record: the send lifecycle's enqueue (new → enqueuing, src/queue/lifecycle.ts).
  Only the first enqueue of a send id writes it; a retried enqueue keeps the record. Its counts
  hash is created (and its lifetime renewed) either way. The send joins the index of sends (what
  the campaigns page and GET /v1/sends list, newest first) in the same call, and index entries
  older than a year (the longest retention allowed, src/queue/retention.ts), whose sends have
  expired, are trimmed here: sends are created
  far more rarely than anything else happens, and the list skips and removes the ids of sends gone
  sooner (send-index.ts).

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    KEYS[3] index of sends (sorted set: sendId scored by createdAt, ms)
    ARGV[1] ttl (s)
    ARGV[2] createdAt (ms): the score, and the clock the trimming reads
    ARGV[3] sendId
    ARGV[4] the index's horizon (s): a year, the longest retention allowed (ids of sends gone sooner go when listed)
    ARGV[5..] field/value pairs of the record

  Output:
    1 written; 0 it existed
]]
--@include "lifecycle"
--@include "lifecycle-edges"

redis.call('HSETNX', KEYS[2], 'queued', 0)
redis.call('EXPIRE', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', mustEdge(SEND_EDGES, 'enqueue', 'new', 'send'))
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local createdAt = tonumber(ARGV[2])
redis.call('ZADD', KEYS[3], createdAt, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%.0f', createdAt - tonumber(ARGV[4]) * 1000))
return 1
