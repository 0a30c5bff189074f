--[[
  Records the BizId of a chunk's accepted answer that arrived after the chunk had been recorded
  accepted by that attempt (send-processor.ts). Only on a record that still exists: a send
  compacted in between (compact-send.lua deletes its chunks) must not get back a chunk key of
  one field and no TTL, which nothing would ever remove.

  Input:
    KEYS[1] chunk hash
    ARGV[1] BizId

  Output:
    1 recorded; 0 no such chunk
]]
if not redis.call('HGET', KEYS[1], 'state') then return 0 end
redis.call('HSET', KEYS[1], 'bizId', ARGV[1])
return 1
