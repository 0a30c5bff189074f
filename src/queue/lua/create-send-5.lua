--[[
  Writes a send's record: the send lifecycle's enqueue (new → enqueuing, src/queue/lifecycle.ts).
  Only the first enqueue of a send id writes it; a retried enqueue keeps the record. Its counts
  hash is created (and its lifetime renewed) either way. The send joins the index of sends (what
  the campaigns page and GET /v1/sends list, newest first; send-index.ts) in the same call: an
  entry `i <sendId>` in its kind's stream.

  An entry's id is the send's createdAt, `<createdAt>-0`; a stream's ids only grow, so when the
  stream already holds that time or a later one (two sends in one ms, or a producer whose clock is
  behind another's), the entry takes the stream's last id plus one (`<last ms>-<last seq + 1>`):
  each kind's index is in the order its sends were created in Redis, whatever the producers' clocks
  say (a listing of every kind merges the streams by their ids, so across kinds the clocks count).

  Trimming: a kind's entries older than the longest retention any producer gave that kind (the
  horizon hash keeps it; producers configured differently share the index) are trimmed here, when
  a send of that kind is created: their sends have expired (the repair sweep trims every kind the
  same way, trim-send-index.lua, for a kind no longer sent). Ids of sends gone sooner (deleted,
  lost) are dropped when a listing meets them. The sorted set of ids written before the streams
  (`<prefix>:sends`, createdAt as the score) is read by listings until it is empty: its ids older
  than ARGV[5] (a year, as before) are trimmed here, the others go with their sends as listings
  meet them.

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    KEYS[3] the index of the send's kind (stream: entry `i <sendId>`)
    KEYS[4] the index's horizon (hash: kind → longest retention given, s)
    KEYS[5] the index written before the streams (sorted set: sendId scored by createdAt, ms)
    ARGV[1] ttl (s): the send's retention
    ARGV[2] createdAt (ms): the entry's time, and the clock the trimming reads
    ARGV[3] sendId
    ARGV[4] kind
    ARGV[5] how long the sorted set written before the streams keeps an id (s)
    ARGV[6..] field/value pairs of the record

  Output:
    1 written; 0 it existed

  Events:
    none (its XADD is the send's entry in the index of sends, not an event)
]]
--@include "lifecycle"
--@include "lifecycle-edges"

redis.call('HSETNX', KEYS[2], 'queued', 0)
redis.call('EXPIRE', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', mustEdge(SEND_EDGES, 'enqueue', 'new', 'send'))
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])

local function whole(n) return string.format('%.0f', n) end
local createdAt = tonumber(ARGV[2])
local ttl = tonumber(ARGV[1])
local horizon = tonumber(redis.call('HGET', KEYS[4], ARGV[4]) or '0') or 0
if ttl > horizon then
  redis.call('HSET', KEYS[4], ARGV[4], ARGV[1])
  horizon = ttl
end
local ms, seq = createdAt, 0
if redis.call('EXISTS', KEYS[3]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[3])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local lastMs, lastSeq = string.match(info[i + 1], '^(%d+)%-(%d+)$')
      if tonumber(lastMs) >= createdAt then
        ms = tonumber(lastMs)
        seq = tonumber(lastSeq) + 1
      end
      break
    end
  end
end
redis.call('XADD', KEYS[3], 'MINID', whole(math.max(0, createdAt - horizon * 1000)), whole(ms) .. '-' .. whole(seq), 'i', ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. whole(createdAt - tonumber(ARGV[5]) * 1000))
return 1
