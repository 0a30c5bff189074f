--[[
  Records a send's progress from its counts (src/receipts/completion.ts): `sent`, `expired` (its
  deadline left recipients unsent) or `completed`, as the send lifecycle allows (src/queue/lifecycle.ts),
  and tells the caller, once per send, that it is in an end state (however it got there: a
  cancel, a failure as a whole): its callback is due. Called off the send path: when a chunk ends
  without a call, the last recipient becomes final, or an operator ended it.

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    KEYS[3] events stream
    ARGV[1] now (ms)
    ARGV[2] events maxlen

  Output:
    {state before, state after, callbackUrl or '', 1 if its end is to be announced now else 0,
     recipients still pending (unsent or awaiting a receipt; -1 not read: no such send, or its
     enqueue not finished)}
    ('' states: no such send)

  Events:
    XADD events stream: type=send sendId from state code at (each move)
]]
--@include "lifecycle"
--@include "send-state"

local moved = settleSend(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[1], true)
return {moved[1], moved[2], redis.call('HGET', KEYS[1], 'callbackUrl') or '', moved[3], moved[4]}
