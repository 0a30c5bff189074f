--[[
  Records opted-out numbers as `suppressed` recipients of a send (producers/enqueuer.ts) and
  counts the new ones. Idempotent: a number with a receipt already is left as it is.

  Input:
    KEYS[1] the send's recipients hash
    KEYS[2] send counts hash
    KEYS[3] recipient totals across sends
    ARGV[1] ttl of the recipients hash (s)
    ARGV[2] the encoded receipt to store (src/receipts/recipient-store.ts encodeReceipt)
    ARGV[3..] numbers

  Output:
    how many numbers were new
]]
local n = 0
for i = 3, #ARGV do n = n + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[2]) end
redis.call('HINCRBY', KEYS[2], 'suppressed', n)
redis.call('HINCRBY', KEYS[3], 'suppressed', n)
redis.call('EXPIRE', KEYS[1], ARGV[1])
return n
