--[[
  Looks moves up in a lifecycle's edges constant (CHUNK_EDGES, SEND_EDGES: include "lifecycle",
  generated from src/queue/lifecycle.ts by lifecycle-lua.ts, alongside this). An edges constant
  is `|trigger:from>to|...`, with 'new' as the from of a transition that creates the record,
  '*' as the mark before the from of a trigger that adopts a caller's newer attempt from that
  state, and '<' before the from of one that takes back a caller's earlier attempt it has proof of.
]]

-- Where trigger takes a record in state from, or nil when the table has no such move.
local function edgeTo(edges, trigger, from)
  local key = '|' .. trigger .. ':' .. from .. '>'
  local at = string.find(edges, key, 1, true)
  if not at then return nil end
  return string.match(edges, '^[^|]+', at + #key)
end

-- Refuses a trigger the table does not declare at all: a caller out of step with the table.
local function checkDeclared(edges, trigger, lifecycle)
  if not string.find(edges, '|' .. trigger .. ':', 1, true) then
    error({err = 'SMSQ_UNDECLARED_TRANSITION ' .. lifecycle .. ' transition "' .. trigger .. '": no such trigger in the Lua table'})
  end
end

-- edgeTo for a move the calling script relies on: an error, not nil, when the table lacks it.
local function mustEdge(edges, trigger, from, lifecycle)
  local to = edgeTo(edges, trigger, from)
  if not to then
    error({err = 'SMSQ_UNDECLARED_TRANSITION ' .. lifecycle .. ' transition "' .. trigger .. '": the Lua table has no move from ' .. from})
  end
  return to
end
