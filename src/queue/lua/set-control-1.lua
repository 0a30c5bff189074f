--[[
  Moves a send's control along the send control lifecycle (src/queue/lifecycle.ts): pause,
  resume, cancel. A move the table does not have from the current control is refused and changes
  nothing (a cancelled send stays cancelled). A send without a control is active.

  Input:
    KEYS[1] send hash
    ARGV[1] trigger (pause | resume | cancel)
    ARGV[2] reason (recorded as controlReason)

  Output:
    the control before the call (whether or not it moved); nil when there is no such send
    An error SMSQ_UNDECLARED_TRANSITION when the table has no such trigger (nothing changed).
]]
--@include "lifecycle"

checkDeclared(SEND_CONTROL_EDGES, ARGV[1], 'send control')
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local prev = redis.call('HGET', KEYS[1], 'control') or 'active'
local to = edgeTo(SEND_CONTROL_EDGES, ARGV[1], prev)
if to then redis.call('HSET', KEYS[1], 'control', to, 'controlReason', ARGV[2]) end
return prev
