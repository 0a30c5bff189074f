--[[
  The account-wide call pacer (src/queue/call-pacer.ts): reserves the next free slot on one Redis
  clock (TIME), slots `spacing` µs apart, and no sooner than `lead` µs from now (how long the caller
  needs to hear of its slot: on a Redis slow to fsync, a slot reserved for now is past before its
  reply arrives). Returns the wait in µs before the reserved slot, or -1 when the queue of slots
  reaches further than maxAhead µs (nothing reserved); and Redis's TIME in µs, from which the caller
  places the slot on its own clock (src/queue/slot-clock.ts).
]]
local function reserveSlot(key, spacing, maxAhead, lead)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local slot = tonumber(redis.call('GET', key) or '0')
  if slot < now + lead then slot = now + lead end
  local wait = slot - now
  if wait > maxAhead then return -1, now end
  -- %.0f, not tostring: Lua 5.1 prints numbers with 14 significant digits, which would round a
  -- 16-digit µs timestamp to 100 µs and shrink the spacing.
  redis.call('SET', key, string.format('%.0f', slot + spacing), 'PX', 60000)
  return wait, now
end
