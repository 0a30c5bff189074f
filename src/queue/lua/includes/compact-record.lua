--[[
  Reading a compacted send (compact-send.lua): its fields, cut into `<name>`, `<name>.1`, ...
  when long, and its final counts, the last `\31`-separated value of its field `z`: `<letter><n>`
  for each count that is not 0 (COUNT_LETTER), or `name=n` for a state without a letter.
]]
local COUNT_LETTER = {queued = 'q', sending = 's', unknown = 'u', accepted = 'a', delivered = 'd', failed = 'f', expired = 'e', cancelled = 'c', suppressed = 'p'}

-- Field `name` of a compacted send hash, its pieces joined; nil when it has none.
local function compactField(key, name)
  local value = redis.call('HGET', key, name)
  if not value then return nil end
  local k = 1
  while true do
    local more = redis.call('HGET', key, name .. '.' .. k)
    if not more then return value end
    value = value .. more
    k = k + 1
  end
end

-- The final counts of a compacted send as a flat list (every lettered state, 0 when not kept), or nil when the send is not compacted.
local function compactCounts(key)
  local z = compactField(key, 'z')
  if not z then return nil end
  local counts, order, byLetter = {}, {}, {}
  for name, letter in pairs(COUNT_LETTER) do
    counts[name] = 0
    order[#order + 1] = name
    byLetter[letter] = name
  end
  for token in string.gmatch(string.match(z, '[^\31]*$') or '', '%S+') do
    local name, n = string.match(token, '^(.-)=(%-?%d+)$')
    if not name then
      name = byLetter[string.sub(token, 1, 1)]
      n = string.sub(token, 2)
    end
    if name and tonumber(n) then
      if counts[name] == nil then order[#order + 1] = name end
      counts[name] = tonumber(n)
    end
  end
  local flat = {}
  for _, name in ipairs(order) do
    flat[#flat + 1] = name
    flat[#flat + 1] = counts[name]
  end
  return flat
end
