--[[
  Appends a sample of a send's counts to its series for the campaigns page
  (src/receipts/campaign-tracker.ts), unless the last sample is more recent than the gap: however
  many pages poll, a send gets at most one sample per gap. The series is capped (oldest dropped)
  and lives as long as the send's record (its kind's retention, from its creation); ARGV[4] only
  for a record without a lifetime (written by hand).

  Input:
    KEYS[1] the send's series (list of "<at ms> <JSON counts>")
    KEYS[2] the send's counts hash
    KEYS[3] the send hash: a compacted send's counts are kept there (compact-send.lua)
    ARGV[1] now (ms)
    ARGV[2] gap (ms)
    ARGV[3] most samples kept
    ARGV[4] lifetime (s) when the send record has none
    ARGV[5] least recipients (the sum of the counts) worth a series: smaller sends are not sampled

  Output:
    1 sampled; 0 not (too soon, too small, or no such send)
]]
--@include "compact-record"

local now = tonumber(ARGV[1])
local last = redis.call('LINDEX', KEYS[1], -1)
if last then
  local at = tonumber(string.match(last, '^(%d+) '))
  if at and now - at < tonumber(ARGV[2]) then return 0 end
end
local flat = redis.call('HGETALL', KEYS[2])
if #flat == 0 then flat = compactCounts(KEYS[3]) or {} end
if #flat == 0 then return 0 end
local counts = {}
local total = 0
for i = 1, #flat, 2 do
  counts[flat[i]] = tonumber(flat[i + 1])
  total = total + counts[flat[i]]
end
if total < tonumber(ARGV[5]) then return 0 end
redis.call('RPUSH', KEYS[1], string.format('%.0f', now) .. ' ' .. cjson.encode(counts))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
local life = redis.call('PTTL', KEYS[3])
if life > 0 then redis.call('PEXPIRE', KEYS[1], life) else redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1
