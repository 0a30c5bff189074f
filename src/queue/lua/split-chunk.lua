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
    ARGV[3] options, JSON: {sendId, kind, ttl (s, of the children), maxlen (events),
            children: [{index, payload}, ...] in the order of KEYS[5..], payload a JSON string
            with one recipient}

  Output:
    1 split; 0 the parent moved on (another state or attempt)

  Events:
    XADD events stream: type=chunk sendId chunkId from state=split n code at (the parent)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "move-counts"
--@include "emit-chunk-event"

local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n', 'index')
local to = f[1] and edgeTo(CHUNK_EDGES, 'split', f[1])
if not to or f[2] ~= ARGV[1] then return 0 end
local childState = mustEdge(CHUNK_EDGES, 'split-child', 'new', 'chunk')
local opts = cjson.decode(ARGV[3])
local n = tonumber(f[3] or '0')
local children = #KEYS - 4
for i = 5, #KEYS do
  local child = opts.children[i - 4]
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'state', childState, 'attempt', 0, 'n', 1, 'createdAt', ARGV[2], 'updatedAt', ARGV[2],
      'sendId', opts.sendId, 'kind', opts.kind, 'index', child.index, 'payload', child.payload)
    redis.call('EXPIRE', KEYS[i], opts.ttl)
  end
end
redis.call('HSET', KEYS[1], 'state', to, 'children', children, 'updatedAt', ARGV[2])
move(KEYS[2], KEYS[4], f[1], nil, n)
move(KEYS[2], KEYS[4], nil, childState, children)
emit(KEYS[3], opts.maxlen, opts.sendId, opts.sendId .. '.' .. f[4], f[1], to, n, '', ARGV[2])
return 1
