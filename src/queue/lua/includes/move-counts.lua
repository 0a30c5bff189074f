--[[
  Moves n recipients from one state to another in a send's counts and in the recipient totals
  across sends. A nil from only adds to `to`; a nil to only takes from `from`. Returns what the
  send's count of `from` is left at (nil without a from).
]]
local function move(counts, totals, from, to, n)
  local left
  if from then left = redis.call('HINCRBY', counts, from, -n); redis.call('HINCRBY', totals, from, -n) end
  if to then redis.call('HINCRBY', counts, to, n); redis.call('HINCRBY', totals, to, n) end
  return left
end
