--[[
  Gives a BullMQ job's start back (its hash's `ats`, which moveToActive raised), only while this
  worker holds the job's lock: workers/put-back.ts, before it moves the job back. Without
  the lock the start is another worker's to count, and a job removed meanwhile would be made again
  as a hash holding `ats` alone, which a later add under that id takes for the job and skips.

  Input:
    KEYS[1] job hash
    KEYS[2] job lock key
    ARGV[1] the lock's token (this worker's)

  Output:
    1 given back; 0 the lock is not this worker's (or the job is gone): nothing changed
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] or redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'ats', -1)
return 1
