--[[
  Renews or releases an idempotency lease (producers/idempotency.ts), only our own.

  Input:
    KEYS[1] the lease
    ARGV[1] token
    ARGV[2] lease (ms); '' = release it

  Output:
    1 renewed or released; 0 not ours
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
