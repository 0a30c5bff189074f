--[[
  Lets a claimed attempt make its call, or tells its worker why not, after the claim was confirmed
  durable in a WAIT mode (send-processor.ts). A claim made to wait for that confirmation is
  written with `callGate` (claim-6.lua); this opens it, once: the send is read and the gate removed
  in one script. A producer whose enqueue was not confirmed withdraws its send (cancel or pause,
  producers/enqueue-withdrawal.ts) while claims of it may be waiting here, and reads the send's
  chunks after that write: a gate still shut then will not open (this script runs after the write
  and refuses), one open was opened before it (the call may be made). So what the producer says
  of its send is so whichever comes first.

  Input:
    KEYS[1] chunk hash
    KEYS[2] send hash
    ARGV[1] the attempt's OutId

  Output:
    {'call'}                    gate opened (or none was shut): make the call
    {'moved', state}            the chunk is not `sending` at this attempt any more (another worker
                                took it over, or its record is gone: state ''); no call
    {'stopped', state, control} the send is cancelled, paused or failed (or its record is gone:
                                state ''); no call, the gate stays shut until the attempt is undone
]]
local f = redis.call('HMGET', KEYS[1], 'state', 'outId')
if f[1] ~= 'sending' or f[2] ~= ARGV[1] then return {'moved', f[1] or ''} end
local send = redis.call('HMGET', KEYS[2], 'state', 'control')
-- As the claim reads them (claim-6.lua, includes/send-ends-chunk.lua): a send failed as a whole or
-- cancelled ends its chunks, a paused one holds them; no send record, nothing is sent on it.
if not send[1] or send[1] == 'failed' or send[2] == 'cancelled' or send[2] == 'paused' then
  return {'stopped', send[1] or '', send[2] or ''}
end
redis.call('HDEL', KEYS[1], 'callGate')
return {'call'}
