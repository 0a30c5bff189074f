--[[
  The opt-out check of campaigns (producers/opt-out-check.ts): SMISMEMBER with the numbers sent
  as one argument and the answer as one string, one character a number. When nobody opted out
  (no set) it answers at once, without splitting the numbers (most of its cost).

  Input:
    KEYS[1] the opt-out set
    ARGV[1] numbers joined by commas
    ARGV[2] numbers per SMISMEMBER (Lua's unpack takes a few thousand values at most)

  Output:
    a string with one character a number, in order: '1' opted out, '0' not; '' when the set does
    not exist (nobody opted out)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
local phones, out, per = {}, {}, tonumber(ARGV[2])
for p in string.gmatch(ARGV[1], '[^,]+') do phones[#phones + 1] = p end
for first = 1, #phones, per do
  local flags = redis.call('SMISMEMBER', KEYS[1], unpack(phones, first, math.min(first + per - 1, #phones)))
  for i = 1, #flags do out[#out + 1] = flags[i] == 1 and '1' or '0' end
end
return table.concat(out)
