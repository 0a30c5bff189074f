--[[
  Reserves the next slot of the account-wide call pacer (src/queue/call-pacer.ts) for a call that
  reserves nothing else (look-ups, account calls; a send reserves its slot in claim-6.lua).

  Input:
    KEYS[1] the pacer's next free slot (µs since the epoch, Redis clock)
    ARGV[1] slot spacing (µs)
    ARGV[2] farthest reservation ahead (µs)
    ARGV[3] the lead (µs): an idle pacer's slot starts this long after now

  Output:
    {wait, now}  wait: µs before the reserved slot, -1 when the slots reach further than ARGV[2]
                 (nothing reserved); now: Redis's TIME when it ran (µs since the epoch)
]]
--@include "reserve-slot"

local wait, now = reserveSlot(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3] or '0'), false)
return {string.format('%.0f', wait), string.format('%.0f', now)}
