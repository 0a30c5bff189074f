import { RESERVE_SLOT_LUA } from './call-pacer.js';

/**
 * Lua scripts of the chunk state machine. Each transition of a chunk, the per-send counts and the
 * event that announces it move together in one script, so a worker killed between two Redis calls
 * cannot leave them apart. The chunk's time always comes in ARGV, so tests control it; only the
 * pacer slot the claim reserves reads Redis TIME (one clock for every process).
 *
 * Chunk hash fields: sendId, index, kind, n (recipients), state, attempt, outId, sentAt, bizId,
 * code, payload (JSON), flowRetries, resolvedBy, children, createdAt, updatedAt.
 * States: queued → sending → accepted | failed | queued (not accepted: throttled, flow control,
 * account) | unknown → (reconcile) accepted | queued | expired. `split` ends a chunk whose
 * recipients moved to single-recipient children.
 *
 * Events (XADD to the events stream, approximately trimmed to ARGV maxlen):
 *   type=chunk sendId chunkId from state n code at
 */

/** Shared Lua: publish one chunk event; move n recipients between states in a send's counts and the totals. */
const EMIT = `
local function move(counts, totals, from, to, n)
  if from then redis.call('HINCRBY', counts, from, -n); redis.call('HINCRBY', totals, from, -n) end
  if to then redis.call('HINCRBY', counts, to, n); redis.call('HINCRBY', totals, to, n) end
end
local function emit(stream, maxlen, sendId, chunkId, from, to, n, code, at)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'type', 'chunk', 'sendId', sendId, 'chunkId', chunkId,
    'from', from, 'state', to, 'n', n, 'code', code or '', 'at', at)
end
`;

/**
 * claim: start an attempt, or tell the caller why not. When it starts one, it also reserves the
 * call's slot from the account-wide pacer (call-pacer.ts), saving the call a round trip.
 * KEYS[1] chunk hash, KEYS[2] send counts hash, KEYS[3] send hash, KEYS[4] events stream,
 * KEYS[5] recipient totals across sends, KEYS[6] the pacer's next free slot
 * ARGV[1] now (ms), ARGV[2] events maxlen, ARGV[3] end of the current marketing quiet window (ms, 0 = not quiet),
 * ARGV[4] pacer slot spacing (µs; '' = reserve no slot), ARGV[5] pacer's farthest reservation ahead (µs),
 * ARGV[6] a fresh nonce for the OutId (out-id.ts: unique even if a rolled-back Redis repeats the attempt)
 * Returns one of:
 *   {'send', attempt, outId, payload, kind, n, index, wait}  state was queued; now sending with a fresh
 *                                                   OutId; wait = µs until the reserved slot (-1 refused,
 *                                                   '' none asked)
 *   {'unknown', attempt, outId, sentAt}             state was sending (a worker died mid-call) or unknown
 *   {'ended', state, code}                          the send failed as a whole, was cancelled or passed its
 *                                                   deadline: the chunk is now failed / cancelled / expired
 *   {'paused'}                                      the send is paused; the chunk stays queued
 *   {'quiet', until}                                a marketing chunk inside quiet hours; stays queued
 *   {'done', state}                                 nothing to do (accepted, failed, split, expired, cancelled)
 *   {'missing'}                                     no such chunk
 */
export const CLAIM_SCRIPT = `${EMIT}${RESERVE_SLOT_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local f = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'outId', 'sentAt', 'payload', 'kind', 'n', 'sendId', 'index')
local state, attempt, n = f[1], tonumber(f[2] or '0'), tonumber(f[7] or '0')
local chunkId = f[8] .. '.' .. f[9]
if state == 'queued' then
  local send = redis.call('HMGET', KEYS[3], 'state', 'code', 'control', 'deadline')
  local to, code = nil, nil
  if send[1] == 'failed' then to, code = 'failed', send[2] or 'SMSQ_SEND_FAILED'
  elseif send[3] == 'cancelled' then to, code = 'cancelled', 'SMSQ_CANCELLED'
  elseif send[4] and tonumber(send[4]) < tonumber(ARGV[1]) then to, code = 'expired', 'SMSQ_DEADLINE'
  end
  if to then
    redis.call('HSET', KEYS[1], 'state', to, 'code', code, 'updatedAt', ARGV[1])
    move(KEYS[2], KEYS[5], 'queued', to, n)
    emit(KEYS[4], ARGV[2], f[8], chunkId, 'queued', to, n, code, ARGV[1])
    return {'ended', to, code}
  end
  if send[3] == 'paused' then return {'paused'} end
  if f[6] == 'marketing' and tonumber(ARGV[3]) > 0 then return {'quiet', ARGV[3]} end
  attempt = attempt + 1
  local outId = chunkId .. '.' .. attempt .. '-' .. ARGV[6]
  redis.call('HSET', KEYS[1], 'state', 'sending', 'attempt', attempt, 'outId', outId, 'sentAt', ARGV[1], 'updatedAt', ARGV[1])
  move(KEYS[2], KEYS[5], 'queued', 'sending', n)
  emit(KEYS[4], ARGV[2], f[8], chunkId, 'queued', 'sending', n, '', ARGV[1])
  local wait = ''
  if ARGV[4] ~= '' then wait = string.format('%.0f', reserveSlot(KEYS[6], tonumber(ARGV[4]), tonumber(ARGV[5]))) end
  return {'send', tostring(attempt), outId, f[5], f[6], tostring(n), f[9], wait}
end
if state == 'sending' then
  redis.call('HSET', KEYS[1], 'state', 'unknown', 'code', 'SMSQ_WORKER_LOST', 'updatedAt', ARGV[1])
  move(KEYS[2], KEYS[5], 'sending', 'unknown', n)
  emit(KEYS[4], ARGV[2], f[8], chunkId, 'sending', 'unknown', n, 'SMSQ_WORKER_LOST', ARGV[1])
  return {'unknown', tostring(attempt), f[3], f[4]}
end
if state == 'unknown' then
  return {'unknown', tostring(attempt), f[3], f[4]}
end
return {'done', state}
`;

/**
 * transition: move a chunk from one of the expected states to a new one, only if its current
 * OutId is the caller's (an answer for an older attempt never overwrites a newer one). An outcome
 * for a NEWER attempt than the record's, while the record is still queued, sending or unknown,
 * proves the record lost writes (a Redis that forgot its last second): that attempt was made, so
 * the record adopts it (attempt and OutId) and the transition applies. On the send
 * path the same script also does what would otherwise cost a round trip each: schedules the end of
 * the chunk's receipt window, and records the outcome for auto-pause.
 * KEYS[1] chunk hash, KEYS[2] send counts hash, KEYS[3] events stream, KEYS[4] recipient totals,
 * KEYS[5] receipt-window set (chunk ids scored by when their window ends), KEYS[6] the send's last
 * outcomes (list), KEYS[7] send hash
 * ARGV[1] expected outId ('' = any), ARGV[2] allowed from-states (comma-separated), ARGV[3] to-state,
 * ARGV[4] now (ms), ARGV[5] events maxlen, ARGV[6] end of the receipt window ('' = none; only
 * when the chunk becomes accepted), ARGV[7] outcome for auto-pause ('' = none, '1' ok, '0' failed),
 * ARGV[8] auto-pause window (chunks), ARGV[9] max failure ratio, ARGV[10] outcomes list ttl (s),
 * ARGV[11..] field/value pairs to set as well
 * Returns {1, from-state, auto-pause reason or '', adopted attempt or ''} when applied,
 * {0, current-state, current-outId} otherwise.
 */
export const TRANSITION_SCRIPT = `${EMIT}
local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n', 'sendId', 'index', 'attempt')
local state, outId, n = f[1], f[2] or '', tonumber(f[3] or '0')
if not state then return {0, 'missing', ''} end
local adopted = ''
local allowed = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == state then allowed = true end end
if ARGV[1] ~= '' and ARGV[1] ~= outId then
  local theirs = tonumber(string.match(ARGV[1], '%.(%d+)[-%w]*$') or '')
  local inDoubt = state == 'queued' or state == 'sending' or state == 'unknown'
  local fromAttempt = string.find(',' .. ARGV[2] .. ',', ',sending,', 1, true) or string.find(',' .. ARGV[2] .. ',', ',unknown,', 1, true)
  if not (theirs and theirs > tonumber(f[6] or '0') and inDoubt and fromAttempt) then return {0, state, outId} end
  adopted = tostring(theirs)
  allowed = true
end
if not allowed then return {0, state, outId} end
local chunkId = f[4] .. '.' .. f[5]
local set = {'state', ARGV[3], 'updatedAt', ARGV[4]}
if adopted ~= '' then
  set[#set + 1] = 'attempt'; set[#set + 1] = adopted
  set[#set + 1] = 'outId'; set[#set + 1] = ARGV[1]
  set[#set + 1] = 'adoptedAt'; set[#set + 1] = ARGV[4]
  -- The claim's time is lost with it; the outcome's time dates the look-ups closely enough.
  set[#set + 1] = 'sentAt'; set[#set + 1] = ARGV[4]
end
local code = ''
for i = 11, #ARGV, 2 do
  set[#set + 1] = ARGV[i]
  set[#set + 1] = ARGV[i + 1]
  if ARGV[i] == 'code' then code = ARGV[i + 1] end
end
redis.call('HSET', KEYS[1], unpack(set))
if state ~= ARGV[3] then
  move(KEYS[2], KEYS[4], state, ARGV[3], n)
  emit(KEYS[3], ARGV[5], f[4], chunkId, state, ARGV[3], n, code, ARGV[4])
end
if ARGV[3] == 'accepted' and ARGV[6] ~= '' then redis.call('ZADD', KEYS[5], ARGV[6], chunkId) end
local reason = ''
local window = tonumber(ARGV[8])
local judged = ARGV[7] ~= ''
local send = {}
if judged then
  -- A send known to have fewer chunks than the window is never judged (a verification code is a
  -- one-chunk send): keep no list for it. While a campaign is enqueuing its count is not known yet.
  send = redis.call('HMGET', KEYS[7], 'state', 'chunks', 'control')
  local chunks = tonumber(send[2] or '')
  if send[1] and send[1] ~= 'enqueuing' and chunks and chunks < window then judged = false end
end
if judged then
  redis.call('LPUSH', KEYS[6], ARGV[7])
  redis.call('LTRIM', KEYS[6], 0, window - 1)
  redis.call('EXPIRE', KEYS[6], ARGV[10])
  if ARGV[7] == '0' then
    local list = redis.call('LRANGE', KEYS[6], 0, -1)
    local failed = 0
    for _, v in ipairs(list) do if v == '0' then failed = failed + 1 end end
    if #list >= window and failed / #list > tonumber(ARGV[9]) and (send[3] or 'active') == 'active' then
      reason = 'auto-pause: ' .. failed .. ' of the last ' .. #list .. ' chunks failed'
      redis.call('HSET', KEYS[7], 'control', 'paused', 'controlReason', reason)
    end
  end
end
return {1, state, reason, adopted}
`;

/**
 * split: replace a chunk by single-number children, atomically (children exist iff the parent is
 * split), only if the parent is still at the caller's attempt.
 * KEYS[1] parent chunk, KEYS[2] send counts, KEYS[3] events stream, KEYS[4] recipient totals,
 * KEYS[5..] child chunk hashes
 * ARGV[1] parent outId, ARGV[2] now, ARGV[3] ttl seconds, ARGV[4] sendId, ARGV[5] kind,
 * ARGV[6] events maxlen, then per child: index, payload (JSON); each child holds one recipient.
 * Returns 1 when split, 0 when the parent moved on.
 */
export const SPLIT_SCRIPT = `${EMIT}
local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n', 'index')
if (f[1] ~= 'sending' and f[1] ~= 'unknown') or f[2] ~= ARGV[1] then return 0 end
local n = tonumber(f[3] or '0')
local children = #KEYS - 4
for i = 5, #KEYS do
  local a = 7 + (i - 5) * 2
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'state', 'queued', 'attempt', 0, 'n', 1, 'createdAt', ARGV[2], 'updatedAt', ARGV[2],
      'sendId', ARGV[4], 'kind', ARGV[5], 'index', ARGV[a], 'payload', ARGV[a + 1])
    redis.call('EXPIRE', KEYS[i], ARGV[3])
  end
end
redis.call('HSET', KEYS[1], 'state', 'split', 'children', children, 'updatedAt', ARGV[2])
move(KEYS[2], KEYS[4], f[1], nil, n)
move(KEYS[2], KEYS[4], nil, 'queued', children)
emit(KEYS[3], ARGV[6], ARGV[4], ARGV[4] .. '.' .. f[4], f[1], 'split', n, '', ARGV[2])
return 1
`;
