--[[
  Adds jobs to a send's parked set (the jobs of a paused send, delayed until something un-pauses
  it wakes them: send-cancel.ts wakeParked), with the send record's own remaining lifetime: the
  set goes when the send does, as its other records (its kind's retention, from its creation).
  Kept without one, a send paused and forgotten past its retention, or one that ended uncompacted
  (over 1,000 recipients, SMSQ_COMPACT_FINISHED=false), left the set in Redis for good. A send
  whose record is gone gets no set: nothing would ever wake or delete it, and its jobs find the
  send gone at their park's end.

  Input:
    KEYS[1] the send's parked set
    KEYS[2] send hash
    ARGV[1..] job ids

  Output:
    how many ids were added (0 when the send record is gone)
]]
local ttl = redis.call('PTTL', KEYS[2])
if ttl == -2 then return 0 end
local added = redis.call('SADD', KEYS[1], unpack(ARGV))
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return added
