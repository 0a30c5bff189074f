--[[
  Trims the index of sends (send-index.ts) by time, as create-send-5.lua does for a kind when a send
  of that kind is created: each kind's stream loses its entries older than the longest retention
  any producer gave that kind (the horizon hash), whose sends have expired. Run by the repair sweep,
  so that a kind no longer sent loses its entries too. A kind without a horizon is left as it is.

  Input (a variable number of keys: the first argument of the call is their count):
    KEYS[1] the index's horizon (hash: kind → longest retention given, s)
    KEYS[2..] the index of each kind (stream: entries `i <sendId>`, ids from createdAt)
    ARGV[1] now (ms)
    ARGV[2..] the kinds, in the order of KEYS[2..]

  Output:
    entries trimmed, every kind together

  Events:
    none
]]
local now = tonumber(ARGV[1])
local trimmed = 0
for i = 2, #KEYS do
  local horizon = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '')
  if horizon then
    local minId = string.format('%.0f', math.max(0, now - horizon * 1000))
    trimmed = trimmed + redis.call('XTRIM', KEYS[i], 'MINID', minId)
  end
end
return trimmed
