--[[
  Replaces a chunk by single-number children, atomically (children exist iff the parent is
  split), only if the parent is still at the caller's attempt: the chunk lifecycle's split
  (sending | unknown → split) for the parent and split-child (new → queued) for each child
  (src/queue/lifecycle.ts). Children that exist already are left as they are.

  Input (a variable number of keys: the first argument of the call is their count):
    KEYS[1] parent chunk hash
    KEYS[2] send counts hash
    KEYS[3] events stream
    KEYS[4] recipient totals across sends
    KEYS[5..] child chunk hashes, one per recipient
    ARGV[1] the parent's OutId (the caller's attempt)
    ARGV[2] now (ms)
    ARGV[3] ttl of the children (s)
    ARGV[4] sendId
    ARGV[5] kind
    ARGV[6] events maxlen
    ARGV[7..] per child, in the order of KEYS[5..]: index, payload (JSON with one recipient)

  Output:
    1 split; 0 the parent moved on (another state or attempt)

  Events:
    XADD events stream: type=chunk sendId chunkId from state=split n code at (the parent)
]]
--@include "lifecycle"
--@include "move-counts"
--@include "emit-chunk-event"

local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n', 'index')
local to = f[1] and edgeTo(CHUNK_EDGES, 'split', f[1])
if not to or f[2] ~= ARGV[1] then return 0 end
local childState = mustEdge(CHUNK_EDGES, 'split-child', 'new', 'chunk')
local n = tonumber(f[3] or '0')
local children = #KEYS - 4
for i = 5, #KEYS do
  local a = 7 + (i - 5) * 2
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'state', childState, 'attempt', 0, 'n', 1, 'createdAt', ARGV[2], 'updatedAt', ARGV[2],
      'sendId', ARGV[4], 'kind', ARGV[5], 'index', ARGV[a], 'payload', ARGV[a + 1])
    redis.call('EXPIRE', KEYS[i], ARGV[3])
  end
end
redis.call('HSET', KEYS[1], 'state', to, 'children', children, 'updatedAt', ARGV[2])
move(KEYS[2], KEYS[4], f[1], nil, n)
move(KEYS[2], KEYS[4], nil, childState, children)
emit(KEYS[3], ARGV[6], ARGV[4], ARGV[4] .. '.' .. f[4], f[1], to, n, '', ARGV[2])
return 1
