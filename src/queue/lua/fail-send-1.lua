--[[
  Fails a send as a whole: the send lifecycle's fail or abandon (src/queue/lifecycle.ts). Its
  queued chunks fail when claimed (claim-6.lua). Idempotent: a send already failed stays as it
  failed first.

  Input:
    KEYS[1] send hash
    ARGV[1] trigger (fail | abandon)
    ARGV[2] code
    ARGV[3] reason

  Output:
    1 failed now; 0 not moved (failed already, not in a state the trigger leaves, or no such send)
    An error SMSQ_UNDECLARED_TRANSITION when the table has no such trigger (nothing changed).
]]
--@include "lifecycle"

checkDeclared(SEND_EDGES, ARGV[1], 'send')
local state = redis.call('HGET', KEYS[1], 'state')
local to = state and edgeTo(SEND_EDGES, ARGV[1], state)
if not to then return 0 end
redis.call('HSET', KEYS[1], 'state', to, 'code', ARGV[2], 'reason', ARGV[3])
return 1
