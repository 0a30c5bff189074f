--[[
  Adds failed recipients per code, read from the events stream by the campaigns page's tally
  (src/receipts/campaign-tracker.ts), and moves the tally's place in the stream, only if nobody
  moved it since this reader read it: two readers never add the same events twice.

  Each hash lives as long as its send's record (its kind's retention, from its creation), as the
  send's other records do: given the server's longest retention instead, a verification code's
  tally outlived its send by weeks. A send whose record is gone gets no hash (its events outlived
  it in the stream); one whose record has no lifetime (written by hand) gets ARGV[3].

  Input (a variable number of keys):
    KEYS[1]   the tally's place in the events stream (string: a stream entry id)
    KEYS[2..] two keys per send: its failure-codes hash (code → recipients), then its send hash
    ARGV[1]   the place this reader started from ('' when there was none)
    ARGV[2]   the place after the events it read
    ARGV[3]   lifetime of a hash whose send record has none (s)
    ARGV[4]   JSON array, one object {code: n} per send of KEYS[2..], in order

  Output:
    1 added; 0 another reader moved the place first (nothing added)
]]
local place = redis.call('GET', KEYS[1]) or ''
if place ~= ARGV[1] then return 0 end
local tallies = cjson.decode(ARGV[4])
for i = 2, #KEYS, 2 do
  local life = redis.call('PTTL', KEYS[i + 1])
  if life ~= -2 then
    for code, n in pairs(tallies[i / 2]) do redis.call('HINCRBY', KEYS[i], code, n) end
    if life > 0 then redis.call('PEXPIRE', KEYS[i], life) else redis.call('EXPIRE', KEYS[i], ARGV[3]) end
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
