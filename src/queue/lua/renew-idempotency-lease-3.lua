--[[
  Renews or releases an idempotency lease (producers/idempotency.ts), only our own. A renewal
  keeps the key's record alive as long as the lease: a record that ran out under a live enqueue
  let a twin claim the key as new and write a second send.

  Input:
    KEYS[1] the lease
    KEYS[2] the key's record
    KEYS[3] the digests of its first request's fields
    ARGV[1] token
    ARGV[2] lease (ms); '' = release it

  Output:
    1 renewed or released; 0 not ours
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
local lease = tonumber(ARGV[2])
for i = 2, 3 do
  local left = redis.call('PTTL', KEYS[i])
  if left >= 0 and left < lease then redis.call('PEXPIRE', KEYS[i], lease) end
end
return redis.call('PEXPIRE', KEYS[1], lease)
