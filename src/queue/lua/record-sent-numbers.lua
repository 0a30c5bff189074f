--[[
  Logs numbers smsq was asked to send to (src/receipts/sent-numbers.ts): each bucket's numbers,
  packed 5 bytes each (src/receipts/sent-number-packing.ts), are appended to the bucket's string
  for the day; a string this call creates lives the given number of seconds.

  Every bucket key it writes is named in KEYS, as Redis Cluster requires: during a slot migration
  the owner and the importing node decide by the declared keys where a script runs (ASK, or
  TRYAGAIN when they are split between the two). A version that named only the keys' prefix was
  sent to the importing node while the buckets were still on the owner, and wrote the same key on
  both: the reshard's MIGRATE then failed (BUSYKEY) and left the slot half moved.

  Input:
    KEYS[1..] the day's key of each bucket of the table, in its order (`<prefix>:sent-numbers:<day>:<bucket>`)
    ARGV[1] the lifetime of a key this call creates (s)
    ARGV[2] the table: 6 bytes per bucket, the bucket (u16 LE) and how many numbers (u32 LE)
    ARGV[3] the packed numbers, bucket after bucket in the order of the table
    ARGV[4] bytes per number

  Output:
    how many buckets were appended to
]]
local entries, numbers, width = ARGV[2], ARGV[3], tonumber(ARGV[4])
local pos, appended = 1, 0
for i = 1, #entries, 6 do
  local c0, c1, c2, c3 = string.byte(entries, i + 2, i + 5)
  local len = (c0 + c1 * 256 + c2 * 65536 + c3 * 16777216) * width
  local key = KEYS[appended + 1]
  if redis.call('APPEND', key, string.sub(numbers, pos, pos + len - 1)) == len then
    redis.call('EXPIRE', key, ARGV[1])
  end
  pos = pos + len
  appended = appended + 1
end
return appended
