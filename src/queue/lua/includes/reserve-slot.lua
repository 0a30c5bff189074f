--[[
  The account-wide call pacer (src/queue/call-pacer.ts): reserves the next free slot on one Redis
  clock (TIME), slots `spacing` µs apart. Returns the wait in µs before the reserved slot, or -1
  when the queue of slots reaches further than maxAhead µs (nothing reserved).
]]
local function reserveSlot(key, spacing, maxAhead)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local slot = tonumber(redis.call('GET', key) or '0')
  if slot < now then slot = now end
  local wait = slot - now
  if wait > maxAhead then return -1 end
  -- %.0f, not tostring: Lua 5.1 prints numbers with 14 significant digits, which would round a
  -- 16-digit µs timestamp to 100 µs and shrink the spacing.
  redis.call('SET', key, string.format('%.0f', slot + spacing), 'PX', 60000)
  return wait
end
