--[[
  The opt-out check of campaigns (producers/opt-out-check.ts): SMISMEMBER with the numbers sent
  as one argument and the answer as one string, one character a number.

  Input:
    KEYS[1] the opt-out set
    ARGV[1] numbers joined by commas

  Output:
    a string with one character a number, in order: '1' opted out, '0' not
]]
local phones = {}
for p in string.gmatch(ARGV[1], '[^,]+') do phones[#phones + 1] = p end
if #phones == 0 then return '' end
local flags = redis.call('SMISMEMBER', KEYS[1], unpack(phones))
for i = 1, #flags do flags[i] = flags[i] == 1 and '1' or '0' end
return table.concat(flags)
