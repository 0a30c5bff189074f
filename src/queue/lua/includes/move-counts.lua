--[[
  Moves n recipients from one state to another in a send's counts and in the recipient totals
  across sends. A nil from only adds to `to`; a nil to only takes from `from`. Returns what the
  send's count of `from` is left at (nil without a from). `minus` is -n as an argument (countArgs);
  nil: -n.
]]
local function move(counts, totals, from, to, n, minus)
  local left
  if from then
    minus = minus or -n
    left = redis.call('HINCRBY', counts, from, minus); redis.call('HINCRBY', totals, from, minus)
  end
  if to then redis.call('HINCRBY', counts, to, n); redis.call('HINCRBY', totals, to, n) end
  return left
end

--[[
  A record's count `text` (its n; nil: none) as the arguments for n and -n, when that text is a whole
  number of at most 14 digits without sign or leading zero (what the scripts write): the text
  itself and '-' .. text, which Redis reads as it reads the numbers. Lua hands Redis a number
  through printf (%.17g), the dearest step of a short script; text goes through as it is, and
  prints the same for any such count (tostring's %.14g too). Any other text (a record altered by
  hand) goes as tonumber of it, and its negation, formatted by Redis as before (nil: tonumber found
  no number, and the arithmetic that needs it fails where it did).
]]
local function countArgs(text)
  if text and #text < 15 and (string.find(text, '^[1-9]%d*$') or text == '0') then return text, '-' .. text end
  local n = tonumber(text or '0')
  return n, n and -n
end
