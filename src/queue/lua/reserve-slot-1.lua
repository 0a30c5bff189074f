--[[
  Reserves the next slot of the account-wide call pacer (src/queue/call-pacer.ts) for a call that
  reserves nothing else (look-ups, account calls; a send reserves its slot in claim-6.lua).

  Input:
    KEYS[1] the pacer's next free slot (µs since the epoch, Redis clock)
    ARGV[1] slot spacing (µs)
    ARGV[2] farthest reservation ahead (µs)

  Output:
    the wait in µs before the reserved slot; -1 when the slots reach further than ARGV[2] (nothing reserved)
]]
--@include "reserve-slot"

return reserveSlot(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
