--[[
  The account-wide call pacer (src/queue/call-pacer.ts): reserves the next free slot on one Redis
  clock (TIME), slots `spacing` µs apart. `lead` is how long the caller needs to hear of its slot
  and be ready (src/queue/slot-clock.ts: on a Redis slow to fsync, a slot reserved for now is past
  before its reply arrives). When no slot is reserved beyond now (an idle pacer), the slot starts
  `lead` µs from now. A busy pacer's next slot is never skipped, so a lead leaves no gap among the
  slots other callers take: when it comes sooner than `lead`, a caller that can reserve later
  (`orNone`: the send path's claim) reserves nothing, and any other takes it.
  Returns the wait in µs before the reserved slot, -1 when the queue of slots reaches further than
  maxAhead µs, or -2 when it came too soon for an `orNone` caller (nothing reserved in both cases);
  Redis's TIME in µs, from which the caller places the slot on its own clock; and that time as
  text (what string.format('%.0f') prints of it, made without printf, which costs more than the
  rest of this function's Lua).
]]
local function reserveSlot(key, spacing, maxAhead, lead, orNone)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  -- Seconds then microseconds padded to 6 digits: %.0f of now, for any clock past 1970's first second.
  local nowText = t[1] ~= '0' and t[1] .. string.sub('00000' .. t[2], -6) or string.format('%.0f', now)
  local slot = tonumber(redis.call('GET', key) or '0')
  if slot < now then slot = now + lead
  elseif orNone and slot - now < lead then return -2, now, nowText end
  local wait = slot - now
  if wait > maxAhead then return -1, now, nowText end
  -- %.0f, not tostring: Lua 5.1 prints numbers with 14 significant digits, which would round a
  -- 16-digit µs timestamp to 100 µs and shrink the spacing. PX as text: no number to format.
  redis.call('SET', key, string.format('%.0f', slot + spacing), 'PX', '60000')
  return wait, now, nowText
end
