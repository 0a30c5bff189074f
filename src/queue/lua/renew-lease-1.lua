--[[
  Extends a leader lease (src/repair/leader-lease.ts) only for its holder.

  Input:
    KEYS[1] lease key
    ARGV[1] owner
    ARGV[2] ttl (ms)

  Output:
    1 held and extended; 0 another holder (or none)
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
