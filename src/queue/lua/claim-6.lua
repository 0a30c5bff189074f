--[[
  Starts an attempt of a chunk, or tells the caller why not. Every move it makes is a row of the
  chunk lifecycle (src/queue/lifecycle.ts): claim (queued → sending), cancel, deadline and
  send-failed (queued → cancelled / expired / failed: the send says so, includes/send-ends-chunk.lua,
  which the repair sweep's end-by-send-5.lua shares), give-up (queued → failed: its attempts reached
  MAX_ATTEMPT, the most an OutId names), send-missing (queued →
  cancelled: the send record is gone, so nothing says whether or how to send it), worker-lost
  (sending → unknown: the worker of the attempt died mid-call). When it starts an attempt it also reserves
  the call's slot from the account-wide pacer (src/queue/call-pacer.ts), saving the call a round
  trip. The chunk's time comes in ARGV; only the pacer slot reads Redis TIME (one clock for every
  process).

  Input:
    KEYS[1] chunk hash
    KEYS[2] send counts hash
    KEYS[3] send hash
    KEYS[4] events stream
    KEYS[5] recipient totals across sends
    KEYS[6] the pacer's next free slot
    ARGV[1] now (ms)
    ARGV[2] events maxlen
    ARGV[3] end of the current marketing quiet window (ms; 0 = not quiet)
    ARGV[4] pacer slot spacing (µs; '' = reserve no slot)
    ARGV[5] pacer's farthest reservation ahead (µs)
    ARGV[6] a fresh nonce for the OutId (src/queue/out-id.ts: unique even if a rolled-back Redis repeats the attempt)
    ARGV[7] the pacer slot's lead (µs; see reserve-slot.lua)
    ARGV[8] '1': the attempt's call waits for its worker to open its gate (`callGate`, open-call-gate-2.lua)
            once the claim is confirmed durable (a WAIT mode); '' or absent: none to wait for

  Output:
    {'send', attempt, outId, payload, kind, n, index, wait, now}  now sending with a fresh OutId; wait = µs
                                                      until the reserved slot (-1 refused, -2 too soon for
                                                      its lead: none reserved; '' none asked),
                                                      now = Redis's TIME in µs when it was reserved ('' none);
                                                      payload as stored ('' none): the caller parses it,
                                                      and fails the chunk without a call if it does not;
                                                      the same call run again (its answer lost: the
                                                      OutId bears its nonce) answers it again
    {'unknown', attempt, outId, sentAt}               it was sending (now unknown) or unknown
    {'ended', state, code}                            the send failed, was cancelled or passed its deadline:
                                                      the chunk is now failed / cancelled / expired; or its
                                                      attempts reached MAX_ATTEMPT (out-id.ts): failed,
                                                      SMSQ_GAVE_UP
    {'foreign-attempt'}                               queued at an attempt no claim writes: nothing changed,
                                                      the caller ends it (src/repair/foreign-attempt.ts)
    {'send-missing', state}                           the send record is gone: the chunk is now cancelled
                                                      (SMSQ_SEND_MISSING), nothing to send
    {'paused', deadline}                              the send is paused; the chunk stays queued. deadline =
                                                      the send's as recorded ('' none): past it, the next
                                                      claim ends the chunk expired, so its job waits no longer
    {'quiet', until}                                  a marketing chunk inside quiet hours; stays queued
    {'done', state}                                   nothing to do (a final state)
    {'missing'}                                       no such chunk

  Events:
    XADD events stream: type=chunk sendId chunkId from state n code at (each move)
]]
--@include "lifecycle"
--@include "lifecycle-edges"
--@include "move-counts"
--@include "emit-chunk-event"
--@include "reserve-slot"
--@include "send-ends-chunk"
--@include "out-id"

local f = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'outId', 'sentAt', 'payload', 'kind', 'n', 'sendId', 'index')
-- Every chunk record has a state: none means no record (never written, expired or compacted).
if not f[1] then return {'missing'} end
local state, attempt = f[1], tonumber(f[2] or '0')
-- n and -n as Redis's arguments, their text when the record's is plain (no number to format).
local n, minus = countArgs(f[7])
local chunkId = f[8] .. '.' .. f[9]

-- The answer of an attempt started: the pacer slot reserved for its call, if asked.
local function sendAnswer(attemptText, outId)
  local wait, reservedAt = '', ''
  if ARGV[4] ~= '' then
    local w, _, t = reserveSlot(KEYS[6], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[7] or '0'), true)
    wait, reservedAt = string.format('%.0f', w), t
  end
  -- A field missing (a record altered by hand) must not end the list there: '' keeps the places.
  return {'send', attemptText, outId, f[5] or '', f[6] or '', tostring(n), f[9], wait, reservedAt}
end

local claimed = edgeTo(CHUNK_EDGES, 'claim', state)
if claimed then
  local send = redis.call('HMGET', KEYS[3], 'state', 'code', 'control', 'deadline')
  -- No send record (deleted by hand, evicted, lost while the chunk was kept): no deadline, control
  -- or state to check, and a send that status cannot show. Never sent on a record that is not there.
  -- Every send record has a state (create-send and compaction write it): its absence is the record's.
  if not send[1] then
    local to = mustEdge(CHUNK_EDGES, 'send-missing', state, 'chunk')
    redis.call('HSET', KEYS[1], 'state', to, 'code', 'SMSQ_SEND_MISSING', 'updatedAt', ARGV[1])
    local hadCounts = redis.call('EXISTS', KEYS[2]) == 1
    move(KEYS[2], KEYS[5], state, to, n, minus)
    -- Counts that went with the send are not made anew here, without a lifetime (as the repair sweep).
    if not hadCounts then redis.call('DEL', KEYS[2]) end
    emit(KEYS[4], ARGV[2], f[8], chunkId, state, to, n, 'SMSQ_SEND_MISSING', ARGV[1])
    return {'send-missing', to}
  end
  local to, code, trigger = sendEndsChunk(send, state, ARGV[1])
  if to then
    endChunkBySend(KEYS, ARGV[2], f[8], chunkId, state, to, code, trigger, n, ARGV[1])
    return {'ended', to, code}
  end
  if send[3] == 'paused' then return {'paused', send[4] or ''} end
  if f[6] == 'marketing' and tonumber(ARGV[3]) > 0 then return {'quiet', ARGV[3]} end
  -- An attempt none of our claims writes (out-id.ts foreignAttemptOf: adopted from a forged report
  -- by an earlier version, and queued again by a look-up of it): a genuine call before may have been
  -- accepted, so it is no "give-up before any call". The caller ends it as unknown (foreign-attempt.ts).
  local recorded = f[2] or '0'
  if recorded ~= '0' and not (string.match(recorded, '^[1-9]%d*$') and attempt <= MAX_ATTEMPT) then return {'foreign-attempt'} end
  if attempt >= MAX_ATTEMPT then
    -- The next attempt's OutId would be no OutId of ours (include "out-id"): its reports set aside,
    -- a lost answer's look-up blind to it. Given up, its previous attempt decided (not accepted).
    local to = mustEdge(CHUNK_EDGES, 'give-up', state, 'chunk')
    redis.call('HSET', KEYS[1], 'state', to, 'code', 'SMSQ_GAVE_UP', 'reason', 'its attempts reached ' .. MAX_ATTEMPT .. ', the most an OutId of smsq names', 'updatedAt', ARGV[1])
    move(KEYS[2], KEYS[5], state, to, n, minus)
    emit(KEYS[4], ARGV[2], f[8], chunkId, state, to, n, 'SMSQ_GAVE_UP', ARGV[1])
    return {'ended', to, 'SMSQ_GAVE_UP'}
  end
  attempt = attempt + 1
  -- Printed once (tostring, as the OutId's concatenation did). Redis prints a number with 17
  -- digits, tostring with 14: the same text for any whole number of fewer than 15 digits, which
  -- goes as text, unformatted; any other attempt (a record altered by hand) as the number, as before.
  local attemptText = tostring(attempt)
  local attemptArg = (attempt % 1 == 0 and attempt < 1e14 and attempt > -1e14) and attemptText or attempt
  local outId = chunkId .. '.' .. attemptText .. '-' .. ARGV[6]
  redis.call('HSET', KEYS[1], 'state', claimed, 'attempt', attemptArg, 'outId', outId, 'sentAt', ARGV[1], 'updatedAt', ARGV[1])
  -- The attempts before this one are decided (a chunk is queued again only then): an adoption's
  -- earlier start no longer widens the look-ups (transition-7.lua). A gate is this attempt's only:
  -- one an earlier attempt left shut (undone before its call) says nothing of this one.
  if ARGV[8] == '1' then
    redis.call('HSET', KEYS[1], 'callGate', '1')
    redis.call('HDEL', KEYS[1], 'priorSentAt')
  else
    redis.call('HDEL', KEYS[1], 'priorSentAt', 'callGate')
  end
  move(KEYS[2], KEYS[5], state, claimed, n, minus)
  emit(KEYS[4], ARGV[2], f[8], chunkId, state, claimed, n, '', ARGV[1])
  return sendAnswer(attemptText, outId)
end

local lost = edgeTo(CHUNK_EDGES, 'worker-lost', state)
-- This very claim run again: the OutId carries this call's nonce (fresh for each claim), so it ran
-- before and its answer was lost (its link closed with it on the wire and the client sent it
-- again: ioredis's Cluster client, to the slot's master or a replica promoted with it). Answered
-- as then, with a pacer slot reserved anew (the first one's answer was lost with it). Taken for a
-- lost worker, the chunk went `unknown` and was looked up before its call, a settling window late.
if lost and f[3] and ARGV[6] and ARGV[6] ~= '' and string.sub(f[3], -#ARGV[6] - 1) == '-' .. ARGV[6] then
  return sendAnswer(f[2], f[3])
end
if lost then
  redis.call('HSET', KEYS[1], 'state', lost, 'code', 'SMSQ_WORKER_LOST', 'updatedAt', ARGV[1])
  move(KEYS[2], KEYS[5], state, lost, n, minus)
  emit(KEYS[4], ARGV[2], f[8], chunkId, state, lost, n, 'SMSQ_WORKER_LOST', ARGV[1])
  return {'unknown', tostring(attempt), f[3], f[4]}
end
if state == 'unknown' then
  return {'unknown', tostring(attempt), f[3], f[4]}
end
return {'done', state}
