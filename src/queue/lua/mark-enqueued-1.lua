--[[
  Marks a send's enqueue complete: the send lifecycle's enqueued (enqueuing → active,
  src/queue/lifecycle.ts), recording totals known only at the end (a campaign's). The totals are
  recorded whatever the state; a send that failed as a whole meanwhile stays failed, and one
  already active stays active (a retried enqueue, the repair sweep finishing one).

  Input:
    KEYS[1] send hash
    ARGV[1..] field/value pairs of totals (may be none)

  Output:
    1 recorded; 0 no such send (nothing written)
]]
--@include "lifecycle"

local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
local to = edgeTo(SEND_EDGES, 'enqueued', state)
if to then redis.call('HSET', KEYS[1], 'state', to) end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
