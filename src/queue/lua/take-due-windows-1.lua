--[[
  Takes chunk ids whose receipt window has ended (src/receipts/window-sweep.ts) and leases them:
  their score moves to the lease's end, so concurrent sweepers of other processes take other ids,
  and ids of a sweeper that died reappear when the lease runs out.

  Input:
    KEYS[1] receipt-window set (chunk ids scored by when their window ends)
    ARGV[1] now (ms)
    ARGV[2] at most this many ids
    ARGV[3] end of the lease (ms)

  Output:
    the chunk ids taken
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], id) end
return due
