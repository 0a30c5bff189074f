--[[
  Whether smsq was asked to send to each number (src/receipts/sent-numbers.ts): a number is found
  when its 5 bytes (src/receipts/sent-number-packing.ts) appear in its bucket's string of one of
  the days, at a multiple of 5 bytes (a match across two numbers is not one), or in the sets of
  earlier versions (by the last six digits), read until they expire.

  Input:
    KEYS[1] the prefix of all days' bucket keys (`<prefix>:sent-numbers:`)
    KEYS[2] the prefix of the earlier sets (`<prefix>:sent-to:`)
    ARGV[1] first day (days since the epoch, UTC)
    ARGV[2] last day
    ARGV[3] buckets
    ARGV[4] the earlier sets' buckets
    ARGV[5] bytes per number
    ARGV[6..] the numbers

  Output:
    a string with one character a number, in order: '1' recorded, '0' not
]]
local first, last = tonumber(ARGV[1]), tonumber(ARGV[2])
local buckets, legacy, width = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local flags = {}
for i = 6, #ARGV do
  local phone = ARGV[i]
  local found = false
  if #phone <= 15 and string.find(phone, '^[1-9]%d*$') then
    local value = tonumber(phone)
    local bucket = value % buckets
    local rest = (value - bucket) / buckets
    local bytes = {}
    for k = 1, width do
      bytes[k] = rest % 256
      rest = (rest - bytes[k]) / 256
    end
    local packed = string.char(unpack(bytes))
    for day = last, first, -1 do
      local log = redis.call('GET', KEYS[1] .. day .. ':' .. bucket)
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
    if not found then
      found = redis.call('SISMEMBER', KEYS[2] .. ((tonumber(string.sub(phone, -6)) or 0) % legacy), phone) == 1
    end
  end
  flags[#flags + 1] = found and '1' or '0'
end
return table.concat(flags)
