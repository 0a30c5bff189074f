--[[
  Adds failed recipients per code, read from the events stream by the campaigns page's tally
  (src/receipts/campaign-tracker.ts), and moves the tally's place in the stream, only if nobody
  moved it since this reader read it: two readers never add the same events twice.

  Input (a variable number of keys):
    KEYS[1]   the tally's place in the events stream (string: a stream entry id)
    KEYS[2..] one failure-codes hash per send (code → recipients)
    ARGV[1]   the place this reader started from ('' when there was none)
    ARGV[2]   the place after the events it read
    ARGV[3]   lifetime of the hashes (s): the sends' retention
    ARGV[4]   JSON array, one object {code: n} per hash of KEYS[2..], in order

  Output:
    1 added; 0 another reader moved the place first (nothing added)
]]
local place = redis.call('GET', KEYS[1]) or ''
if place ~= ARGV[1] then return 0 end
local tallies = cjson.decode(ARGV[4])
for i = 2, #KEYS do
  for code, n in pairs(tallies[i - 1]) do redis.call('HINCRBY', KEYS[i], code, n) end
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
