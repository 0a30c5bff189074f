--[[
  Moves a chunk along one transition of the chunk lifecycle (src/queue/lifecycle.ts), named by
  its trigger: the table (generated into this script) gives the state it goes to from the
  chunk's current state. It applies only to the caller's attempt: a caller naming an OutId that
  is not the record's is refused, unless the trigger adopts a newer attempt from the record's
  in-doubt state (the table's `*` edges) and the record is at an older one, at most
  MAX_ATTEMPT_LEAD behind. That proves the record lost writes (a Redis that forgot its last
  second): that attempt was made, so the record adopts it (attempt, OutId, sentAt, adoptedAt; the
  start of the attempt before it kept in priorSentAt, for the look-up's dates) and the transition applies. Or the trigger carries proof of the caller's attempt (the table's `<`
  edges: Dysmsapi accepted it) and the record, in doubt, is at that attempt under another OutId
  or a later one (adopted from a push, or claimed after the caller was taken for lost): the record
  takes the caller's attempt back (OutId, and sentAt from ownSentAt; attempt keeps counting claims). An OutId that names another chunk, an attempt
  no claim of ours makes (not plain digits, or past MAX_ATTEMPT), or one further ahead than the
  few claims a loss of writes takes (include "out-id"), is refused as another attempt, whatever
  the caller checked. The per-send counts, the event, and on the send
  path the end of the chunk's receipt window and the outcome for auto-pause, move in the same
  script, saving the call a round trip each. When the chunk's recipients were the send's last
  unsent ones, the send moves here too (read only when the count they left reaches 0), by the
  settle's own rule (send-state.lua moveAllSent): `sent`, or `expired` (SMSQ_DEADLINE) when its
  deadline passed, by ARGV[3], and expired some of its recipients unsent (the send's
  deadlineExpired, not its expired count). The same send ends the same whether an answer here or a
  claim that expired recipients came last.

  The same call run twice answers as it did the first time and changes nothing: a client that
  lost the answer sends the call again (ioredis's Cluster client, once its node's link closed with
  the call on the wire, to the slot's master: a replica promoted with the first run's writes, or
  the same master). A move that applied keeps its call's token (fresh for each call:
  chunk-store.ts) with its answer, in one field (`lastCall`: as two, token and answer, they cost a
  verification code's record 400 bytes, its hash table growing past 16 entries, where one costs
  104, under Redis's default hash-max-listpack-value). Judged again, the second run was refused as
  another attempt or a move already made ("already accepted"), or applied as a plain move with
  nothing adopted, and its caller, acting only on what applied with what it adopted, skipped what
  the move asks of it (receipt look-ups, the look-up of an adopted attempt, a resend). A later
  call is a new token: judged as any call.

  Input:
    KEYS[1] chunk hash
    KEYS[2] send counts hash
    KEYS[3] events stream
    KEYS[4] recipient totals across sends
    KEYS[5] receipt-window set (chunk ids scored by when their window ends)
    KEYS[6] the send's last chunk outcomes (list, for auto-pause)
    KEYS[7] send hash
    ARGV[1] trigger
    ARGV[2] the caller's OutId ('' = names no attempt)
    ARGV[3] now (ms)
    ARGV[4] events maxlen
    ARGV[5] options, packed as one JSON object ('' = none), each optional:
              expectState     apply only if the chunk is still in the state the caller read
              windowEndsAt    end of the receipt window (ms; used when the chunk becomes accepted)
              outcome         {ok, window, maxFailureRatio, ttlSeconds}: counted towards auto-pause
                              over the last `window` chunks; the list lives `ttlSeconds` from its
                              start or its last trim (once every `window` outcomes)
              count           fields of the chunk hash to add one to (the counters the transition
                              declares: the chunk store sends them)
              ownSentAt       the start of the caller's attempt (ms), recorded as sentAt when the
                              record takes that attempt back (a `<` edge)
              call            this call's token: a chunk whose last applied move has it answers
                              that move's answer again (above)
    ARGV[6..] field/value pairs to record (only fields the transition declares: the chunk store checks)

  Output:
    {1, from-state, to-state, auto-pause reason or '', adopted attempt or '',
     the send's state when this moved it on its last unsent recipients (sent, expired) or '',
     the earlier attempt taken back with its proof or ''}
                                                                     applied (or, the same call
                                                                     again, as it applied)
    {0, why, current state, current OutId}                           refused, why = missing | moved
                                                                      (not expectState) | other-attempt | not-from-state
    An error SMSQ_UNDECLARED_TRANSITION when the table has no such trigger (nothing changed).

  Events:
    XADD events stream: type=chunk sendId chunkId from state n code at (when the state changes)
    XADD events stream: type=send sendId from state code at (the send became sent, expired or auto-paused)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "move-counts"
--@include "emit-chunk-event"
--@include "send-state"
--@include "out-id"

local trigger, theirOutId, now = ARGV[1], ARGV[2], ARGV[3]
local opts = ARGV[5] ~= '' and cjson.decode(ARGV[5]) or {}
-- The record's attempt is read only where an adoption needs it (one field less on every answer).
local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n', 'sendId', 'index', 'lastCall')
local state, outId = f[1], f[2] or ''
-- n and -n as Redis's arguments, their text when the record's is plain (no number to format).
local n, minus = countArgs(f[3])
-- A refusal first makes sure the trigger exists at all (an undeclared one is an error, not a race).
local function refuse(why, current)
  checkDeclared(CHUNK_EDGES, trigger, 'chunk')
  return {0, why, current, outId}
end
if not state then return refuse('missing', 'missing') end
-- This very call, applied before and its answer lost: answered as then, before any check (the
-- state it expected is the one it left). `lastCall` is the token, a space, the answer as JSON.
if opts.call and f[6] and string.sub(f[6], 1, #opts.call + 1) == opts.call .. ' ' then return cjson.decode(string.sub(f[6], #opts.call + 2)) end
if opts.expectState and opts.expectState ~= state then return refuse('moved', state) end

local to, adopted, proved, sendTo = nil, '', '', ''
-- The send's fields, when the move below read them: the outcome reads the same ones otherwise.
local send
local chunkId = f[4] .. '.' .. f[5]
if theirOutId ~= '' and theirOutId ~= outId then
  -- Only an OutId of this chunk naming an attempt our claims can make (out-id.ts), stored as the
  -- digits it was given: a number Lua would print otherwise (1e+20) is no attempt of ours. One far
  -- ahead of the record's is no lost claim: adopted, it would bring the chunk's give-up near.
  local theirs, theirsText = attemptOfOutId(theirOutId, chunkId)
  if theirs then
    local recorded = tonumber(redis.call('HGET', KEYS[1], 'attempt') or '0')
    if isAdoptableAttempt(theirs, recorded) then
      to = edgeTo(CHUNK_EDGES, trigger, '*' .. state)
      adopted = theirsText
    elseif theirs <= recorded then
      to = edgeTo(CHUNK_EDGES, trigger, '<' .. state)
      proved = theirsText
    end
  end
  if not to then return refuse('other-attempt', state) end
else
  to = edgeTo(CHUNK_EDGES, trigger, state)
  if not to then return refuse('not-from-state', state) end
end

local code = ''
for i = 6, #ARGV, 2 do
  if ARGV[i] == 'code' then code = ARGV[i + 1] end
end
-- The fields to record go to HSET straight from ARGV, after those of the move itself: no table
-- built (and grown) for them.
if proved ~= '' then
  -- The record's later attempt, if it was made at all, is no longer what its receipts name: they
  -- name the caller's, sent when the caller says (its claim's time), on the day its look-ups ask.
  -- `attempt` keeps counting the claims (the later one may have been made); the OutId says which
  -- was accepted, as a look-up that found an earlier attempt records it.
  if opts.ownSentAt then
    redis.call('HSET', KEYS[1], 'state', to, 'updatedAt', now, 'outId', theirOutId, 'sentAt', string.format('%.0f', opts.ownSentAt), unpack(ARGV, 6))
  else
    redis.call('HSET', KEYS[1], 'state', to, 'updatedAt', now, 'outId', theirOutId, unpack(ARGV, 6))
  end
  redis.call('HDEL', KEYS[1], 'adoptedAt', 'priorSentAt')
elseif adopted == '' then
  redis.call('HSET', KEYS[1], 'state', to, 'updatedAt', now, unpack(ARGV, 6))
else
  -- The claim's time is lost with it; the outcome's time dates the look-ups closely enough. The
  -- record's own attempt, in doubt, is found by a look-up only on the day it was sent:
  -- `priorSentAt` keeps the earliest start since the last claim, from which the look-up asks (a
  -- push names a newer attempt at 00:20 for one sent at 23:40 the day before). From a state a
  -- claim leaves, the record's attempts are decided (not accepted, or no call): none is kept.
  local since = nil
  if not edgeTo(CHUNK_EDGES, 'claim', state) then
    local prior = redis.call('HMGET', KEYS[1], 'priorSentAt', 'sentAt')
    since = prior[1] or prior[2]
  end
  redis.call('HSET', KEYS[1], 'state', to, 'updatedAt', now, 'attempt', adopted, 'outId', theirOutId, 'adoptedAt', now, 'sentAt', now, unpack(ARGV, 6))
  if since then redis.call('HSET', KEYS[1], 'priorSentAt', since) else redis.call('HDEL', KEYS[1], 'priorSentAt') end
end
if opts.count then
  for _, field in ipairs(opts.count) do redis.call('HINCRBY', KEYS[1], field, 1) end
end
if state ~= to then
  local left = move(KEYS[2], KEYS[4], state, to, n, minus)
  emit(KEYS[3], ARGV[4], f[4], chunkId, state, to, n, code, now)
  -- Costs a read only when this move emptied the count it left: maybe the send's last unsent recipients.
  if left == 0 and string.find(IN_DOUBT, '|' .. state .. '|', 1, true) and not string.find(IN_DOUBT, '|' .. to .. '|', 1, true) then
    local c = redis.call('HMGET', KEYS[2], 'queued', 'sending', 'unknown', 'expired')
    if tonumber(c[1] or '0') + tonumber(c[2] or '0') + tonumber(c[3] or '0') == 0 then
      -- The outcome's fields first (as its own read has them), then the move's, in one read.
      send = redis.call('HMGET', KEYS[7], 'state', 'chunks', 'control', 'enqueuedAt', 'deadline', 'deadlineExpired', 'history')
      -- As the settle: a paused send whose enqueue has not finished waits for it.
      if send[1] and (send[1] ~= 'paused' or send[4]) then
        local moved, history = moveAllSent(KEYS[7], KEYS[3], ARGV[4], f[4], send[1], send[5], deadlineExpiredOf(send[6], c[4]), now, send[7])
        if moved then send[1], send[7], sendTo = moved, history, moved end
      end
    end
  end
end
if to == 'accepted' and opts.windowEndsAt then redis.call('ZADD', KEYS[5], string.format('%.0f', opts.windowEndsAt), chunkId) end

local reason = ''
local outcome = opts.outcome
if outcome then
  local ok = outcome.ok and '1' or '0'
  -- A send known to have fewer chunks than the window is never judged (a verification code is a
  -- one-chunk send): keep no list for it. While a campaign is enqueuing its count is not known yet.
  local window = tonumber(outcome.window)
  send = send or redis.call('HMGET', KEYS[7], 'state', 'chunks', 'control')
  local chunks = tonumber(send[2] or '')
  if not (send[1] and send[1] ~= 'enqueuing' and chunks and chunks < window) then
    -- The list may hold up to twice the window: trimmed (and its life renewed) once a window, not
    -- at every outcome, which saves a campaign two writes a call. Only the newest `window` are judged.
    local length = redis.call('LPUSH', KEYS[6], ok)
    if length == 1 or length > 2 * window then
      redis.call('LTRIM', KEYS[6], 0, window - 1)
      redis.call('EXPIRE', KEYS[6], string.format('%.0f', outcome.ttlSeconds))
    end
    if ok == '0' then
      local list = redis.call('LRANGE', KEYS[6], 0, window - 1)
      local failed = 0
      for _, v in ipairs(list) do if v == '0' then failed = failed + 1 end end
      local paused = (send[3] or 'active') == 'active' and edgeTo(SEND_EDGES, 'auto-pause', send[1] or 'active')
      if paused and #list >= window and failed / #list > tonumber(outcome.maxFailureRatio) then
        reason = 'auto-pause: ' .. failed .. ' of the last ' .. #list .. ' chunks failed'
        moveSend(KEYS[7], KEYS[3], ARGV[4], f[4], send[1] or 'active', paused, now, '', {'control', paused, 'controlReason', reason}, send[7])
      end
    end
  end
end
local answer = {1, state, to, reason, adopted, sendTo, proved}
if opts.call then redis.call('HSET', KEYS[1], 'lastCall', opts.call .. ' ' .. cjson.encode(answer)) end
return answer
