--[[
  Reads the chunks of one send from index ARGV[2] on, in order, ARGV[3] of them at most, and
  stops at the first that does not exist: a producer writes a send's chunks in order, so those
  found from 0 are every chunk it wrote (send-cancel.ts, for a send whose enqueue did not end).
  Their recipients are counted by the API their payload names (a payload that does not parse as
  SendSms: it has no other).

  Input:
    KEYS[1] the send hash (its chunks share its hash tag: the same slot)
    ARGV[1] what the send's chunk keys start with (`<prefix>:chunk:<sendId>.`)
    ARGV[2] the first index to read
    ARGV[3] most chunks to read

  Output:
    {chunks found, recipients in SendSms chunks, recipients in SendBatchSms chunks}
]]
local found, sms, batch = 0, 0, 0
local first = tonumber(ARGV[2])
for i = first, first + tonumber(ARGV[3]) - 1 do
  local c = redis.call('HMGET', ARGV[1] .. i, 'n', 'payload')
  if not c[1] then break end
  found = found + 1
  local n = tonumber(c[1]) or 0
  local ok, payload = pcall(cjson.decode, c[2] or '')
  if ok and type(payload) == 'table' and payload.api == 'SendBatchSms' then batch = batch + n else sms = sms + n end
end
return {found, sms, batch}
