--[[
  Gives a leader lease (src/repair/leader-lease.ts) up, only for its holder.

  Input:
    KEYS[1] lease key
    ARGV[1] owner

  Output:
    1 released; 0 another holder (or none)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
