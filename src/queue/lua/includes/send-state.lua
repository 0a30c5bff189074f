--[[
  Moves a send along the send lifecycle (src/queue/lifecycle.ts): its state, the time of the
  change (stateChangedAt), its history ("state:ms" entries, space-separated) and one event on the
  stream:
    type=send sendId chunkId='' from state code at
  `fields` are more field/value pairs to write with it (nil: none). `history` is the send's history
  when the caller has read it already (false: it has none; nil: read here), which saves a script
  that read the send's fields anyway a command. Returns the history written.
]]
--@include "lifecycle"
--@include "lifecycle-edges"

local function moveSend(sendKey, events, maxlen, sendId, from, to, now, code, fields, history)
  if history == nil then history = redis.call('HGET', sendKey, 'history') end
  local entry = to .. ':' .. now
  local written = history and (history .. ' ' .. entry) or entry
  local set = {'state', to, 'stateChangedAt', now, 'history', written}
  for _, v in ipairs(fields or {}) do set[#set + 1] = v end
  redis.call('HSET', sendKey, unpack(set))
  redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 'type', 'send', 'sendId', sendId, 'chunkId', '',
    'from', from, 'state', to, 'code', code or '', 'at', now)
  return written
end

--[[
  How many of a send's recipients its deadline expired unsent, from its `deadlineExpired` field
  (counted by includes/send-ends-chunk.lua; a producer writes 0 with the deadline) and its
  `expired` count. A send written by the version before has no such field: its `expired` count
  stands in for it, as that version read it (recipients expired as unknown or at the end of their
  receipt window included), so that one ends as it would have.
]]
local function deadlineExpiredOf(deadlineExpired, expired)
  return tonumber(deadlineExpired or expired or '0') or 0
end

--[[
  Moves a send none of whose recipients is left unsent, read as `state`, with its `deadline` field
  (nil: none) and how many of its recipients its deadline expired unsent (deadlineExpiredOf):
  `expired` (code SMSQ_DEADLINE) when its deadline passed and cut some short, else `sent`, as the
  table allows from `state`. `expired` only then: a send whose every recipient went out is `sent`,
  however late it is settled (a producer that died before marking its enqueue finished leaves it
  to the repair sweep), and however many of them expired after their call, as unknown or at the
  end of their receipt window. One
  rule for the settle below and for transition-7.lua, which moves the send when a chunk takes its
  last unsent recipients past the API: which of its chunks finishes last (an answer, a look-up, a
  report, or a claim that expired it) must not decide how the send ends. `history` as moveSend's.
  Returns the state moved to, or nil when the table has no such move from `state`, and the send's
  history after it (as given when nothing moved).
]]
local function moveAllSent(sendKey, events, maxlen, sendId, state, deadline, cutShort, now, history)
  local due = tonumber(deadline or '')
  local late = due ~= nil and due < tonumber(now) and cutShort > 0
  local to = edgeTo(SEND_EDGES, late and 'deadline' or 'all-sent', state)
  if to then history = moveSend(sendKey, events, maxlen, sendId, state, to, now, late and 'SMSQ_DEADLINE' or '', late and {'code', 'SMSQ_DEADLINE'} or nil, history) end
  return to, history
end

--[[
  Records how far a send's recipients got, from its counts: `sent` once none is left unsent
  (`expired` instead when its deadline expired some unsent: moveAllSent), then
  `completed` once none waits for a receipt either. Only a send whose enqueue finished (a paused
  one may not have) moves. With `announce`, a send found in an end state (however it got there)
  and not yet marked announced (endNotifiedAt, written by mark-announced-1.lua once the callback
  is added) is to be announced. Returns the state before and after, 1 when the end is to be
  announced (else 0), and the recipients still pending (unsent, or accepted awaiting a receipt; -1
  when the counts were not read: no such send, or one whose enqueue has not finished).
]]
local function settleSend(sendKey, countsKey, events, maxlen, now, announce)
  local s = redis.call('HMGET', sendKey, 'state', 'enqueuedAt', 'deadline', 'sendId', 'deadlineExpired', 'history')
  local state = s[1]
  if not state or state == 'enqueuing' or (state == 'paused' and not s[2]) then return {state or '', state or '', 0, -1} end
  local c = redis.call('HMGET', countsKey, 'queued', 'sending', 'unknown', 'accepted', 'expired')
  local unsent = tonumber(c[1] or '0') + tonumber(c[2] or '0') + tonumber(c[3] or '0')
  local before = state
  if unsent == 0 then
    local sent, history = moveAllSent(sendKey, events, maxlen, s[4], state, s[3], deadlineExpiredOf(s[5], c[5]), now, s[6])
    state = sent or state
    if unsent + tonumber(c[4] or '0') == 0 then
      local done = edgeTo(SEND_EDGES, 'complete', state)
      if done then
        moveSend(sendKey, events, maxlen, s[4], state, done, now, '', nil, history)
        state = done
      end
    end
  end
  local due = 0
  if announce and string.find(SEND_ENDS, '|' .. state .. '|', 1, true) and redis.call('HEXISTS', sendKey, 'endNotifiedAt') == 0
    -- A compacted send (compact-send.lua, field z) was announced before it was compacted.
    and redis.call('HEXISTS', sendKey, 'z') == 0 then due = 1 end
  return {before, state, due, unsent + tonumber(c[4] or '0')}
end
