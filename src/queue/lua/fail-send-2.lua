--[[
  Fails a send as a whole: the send lifecycle's fail or abandon (src/queue/lifecycle.ts). Its
  queued chunks fail when claimed (claim-6.lua). Idempotent: a send already failed stays as it
  failed first.

  Input:
    KEYS[1] send hash
    KEYS[2] events stream
    ARGV[1] trigger (fail | abandon)
    ARGV[2] code
    ARGV[3] reason
    ARGV[4] now (ms)
    ARGV[5] events maxlen

  Output:
    1 failed now; 0 not moved (failed already, not in a state the trigger leaves, or no such send)
    An error SMSQ_UNDECLARED_TRANSITION when the table has no such trigger (nothing changed).

  Events:
    XADD events stream: type=send sendId from state code at (when it moves)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "send-state"

checkDeclared(SEND_EDGES, ARGV[1], 'send')
local s = redis.call('HMGET', KEYS[1], 'state', 'sendId')
local to = s[1] and edgeTo(SEND_EDGES, ARGV[1], s[1])
if not to then return 0 end
moveSend(KEYS[1], KEYS[2], ARGV[5], s[2], s[1], to, ARGV[4], ARGV[2], {'code', ARGV[2], 'reason', ARGV[3]})
return 1
