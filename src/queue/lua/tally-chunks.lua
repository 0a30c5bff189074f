--[[
  Reads the chunks of one send named in KEYS, in order, and stops at the first that does not
  exist: a producer writes a send's chunks in order, so those found from 0 are every chunk it wrote (send-cancel.ts, for a send whose enqueue did not end).
  Their recipients are counted by the API their payload names (a payload that does not parse as
  SendSms: it has no other).

  Every chunk key it reads is named in KEYS, as Redis Cluster requires: a version that built them
  from a prefix could read them on the node importing the slot while they were still on the owner.

  Input:
    KEYS[1] the send hash (its chunks share its hash tag: the same slot)
    KEYS[2..] the send's chunk keys to read, by index in order (`<prefix>:chunk:<sendId>.<index>`)

  Output:
    {chunks found, recipients in SendSms chunks, recipients in SendBatchSms chunks}
]]
local found, sms, batch = 0, 0, 0
for i = 2, #KEYS do
  local c = redis.call('HMGET', KEYS[i], 'n', 'payload')
  if not c[1] then break end
  found = found + 1
  local n = tonumber(c[1]) or 0
  local ok, payload = pcall(cjson.decode, c[2] or '')
  if ok and type(payload) == 'table' and payload.api == 'SendBatchSms' then batch = batch + n else sms = sms + n end
end
return {found, sms, batch}
