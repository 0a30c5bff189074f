--[[
  Records that a send's end was announced (its callback job added, or none due): settle stops
  saying `announce` for it. Written after the announcement, not with the settle that found the end,
  so that a process that dies between the two leaves the announcement to the next settle (the
  callback job's id is the send's: a second add of it does nothing).

  Input:
    KEYS[1] send hash
    ARGV[1] now (ms)

  Output:
    1 marked now; 0 marked before, or no such send (an expired record is not brought back)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'endNotifiedAt', ARGV[1])
