--[[
  Whether smsq was asked to send to each number (src/receipts/sent-numbers.ts): a number is found
  when its 5 bytes (src/receipts/sent-number-packing.ts) appear in its bucket's string of one of
  the days, at a multiple of 5 bytes (a match across two numbers is not one), or in the sets of
  earlier versions (by the last six digits), read until they expire.

  Every key it reads is named in KEYS, as Redis Cluster requires (record-sent-numbers.lua says
  why): a version that named only the keys' prefixes ran on the importing node during a slot
  migration and answered "not sent" for numbers whose keys were still on the owner.

  Input:
    KEYS[1..] per number, in the order of the numbers: its bucket's key of each day, the last day
              first (`<prefix>:sent-numbers:<day>:<bucket>`), then its earlier set
              (`<prefix>:sent-to:<last six digits % buckets>`)
    ARGV[1] days per number
    ARGV[2] bytes per number
    ARGV[3..] per number: its bytes as the log stores them, then the number

  Output:
    a string with one character a number, in order: '1' recorded, '0' not
]]
local days, width = tonumber(ARGV[1]), tonumber(ARGV[2])
local flags = {}
local k = 0
for i = 3, #ARGV, 2 do
  local packed, phone = ARGV[i], ARGV[i + 1]
  local found = false
  for d = 1, days do
    local log = redis.call('GET', KEYS[k + d])
    if log then
      local at = string.find(log, packed, 1, true)
      while at do
        if (at - 1) % width == 0 then
          found = true
          break
        end
        at = string.find(log, packed, at + 1, true)
      end
    end
    if found then break end
  end
  if not found then found = redis.call('SISMEMBER', KEYS[k + days + 1], phone) == 1 end
  k = k + days + 1
  flags[#flags + 1] = found and '1' or '0'
end
return table.concat(flags)
