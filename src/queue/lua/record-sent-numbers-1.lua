--[[
  Remembers numbers smsq was asked to send to (src/receipts/sent-numbers.ts), spread over buckets
  by their last six digits; each bucket touched lives ttl seconds more.

  Input:
    KEYS[1] the buckets' key prefix (`<prefix>:sent-to:`; every bucket shares its hash tag, so the
            script may name them as BullMQ's scripts name job keys)
    ARGV[1] ttl (s)
    ARGV[2] number of buckets
    ARGV[3..] numbers

  Output:
    how many numbers were new
]]
local buckets, added, touched = tonumber(ARGV[2]), 0, {}
for i = 3, #ARGV do
  local key = KEYS[1] .. (tonumber(string.sub(ARGV[i], -6)) or 0) % buckets
  added = added + redis.call('SADD', key, ARGV[i])
  touched[key] = true
end
for key in pairs(touched) do redis.call('EXPIRE', key, ARGV[1]) end
return added
