/**
 * Lua scripts of the chunk state machine. Each transition of a chunk and the per-send counts move
 * together in one script, so a worker killed between two Redis calls cannot leave them apart.
 * Time always comes in ARGV (never Redis TIME), so tests control it with a clock.
 *
 * Chunk hash fields: sendId, index, kind, n (recipients), state, attempt, outId, sentAt, bizId,
 * code, payload (JSON), flowRetries, resolvedBy, createdAt, updatedAt.
 * States: queued → sending → accepted | failed | queued (not accepted: throttled, flow control,
 * account) | unknown → (reconcile) accepted | queued | expired. `split` ends a chunk whose
 * recipients moved to smaller chunks.
 */

/**
 * claim: start an attempt, or tell the caller why not.
 * KEYS[1] chunk hash, KEYS[2] send counts hash, KEYS[3] send hash
 * ARGV[1] now (ms)
 * Returns one of:
 *   {'send', attempt, outId, payload, kind, n, index}  state was queued; now sending with a fresh OutId
 *   {'unknown', attempt, outId, sentAt}             state was sending (a worker died mid-call) or unknown
 *   {'send-failed', code}                           the send failed as a whole; the chunk is now failed
 *   {'done', state}                                 nothing to do (accepted, failed, split, expired)
 *   {'missing'}                                     no such chunk
 */
export const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local f = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'outId', 'sentAt', 'payload', 'kind', 'n', 'sendId', 'index')
local state, attempt, n = f[1], tonumber(f[2] or '0'), tonumber(f[7] or '0')
if state == 'queued' then
  local sendState = redis.call('HMGET', KEYS[3], 'state', 'code')
  if sendState[1] == 'failed' then
    redis.call('HSET', KEYS[1], 'state', 'failed', 'code', sendState[2] or 'SMSQ_SEND_FAILED', 'updatedAt', ARGV[1])
    redis.call('HINCRBY', KEYS[2], 'queued', -n)
    redis.call('HINCRBY', KEYS[2], 'failed', n)
    return {'send-failed', sendState[2] or 'SMSQ_SEND_FAILED'}
  end
  attempt = attempt + 1
  local outId = f[8] .. '.' .. f[9] .. '.' .. attempt
  redis.call('HSET', KEYS[1], 'state', 'sending', 'attempt', attempt, 'outId', outId, 'sentAt', ARGV[1], 'updatedAt', ARGV[1])
  redis.call('HINCRBY', KEYS[2], 'queued', -n)
  redis.call('HINCRBY', KEYS[2], 'sending', n)
  return {'send', tostring(attempt), outId, f[5], f[6], tostring(n), f[9]}
end
if state == 'sending' then
  redis.call('HSET', KEYS[1], 'state', 'unknown', 'code', 'SMSQ_WORKER_LOST', 'updatedAt', ARGV[1])
  redis.call('HINCRBY', KEYS[2], 'sending', -n)
  redis.call('HINCRBY', KEYS[2], 'unknown', n)
  return {'unknown', tostring(attempt), f[3], f[4]}
end
if state == 'unknown' then
  return {'unknown', tostring(attempt), f[3], f[4]}
end
return {'done', state}
`;

/**
 * transition: move a chunk from one of the expected states to a new one, only if its current
 * OutId is the caller's (an answer for an older attempt never overwrites a newer one).
 * KEYS[1] chunk hash, KEYS[2] send counts hash
 * ARGV[1] expected outId ('' = any), ARGV[2] allowed from-states (comma-separated), ARGV[3] to-state,
 * ARGV[4] now (ms), ARGV[5..] field/value pairs to set as well
 * Returns {1, from-state} when applied, {0, current-state, current-outId} otherwise.
 */
export const TRANSITION_SCRIPT = `
local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n')
local state, outId, n = f[1], f[2] or '', tonumber(f[3] or '0')
if not state then return {0, 'missing', ''} end
if ARGV[1] ~= '' and ARGV[1] ~= outId then return {0, state, outId} end
local allowed = false
for s in string.gmatch(ARGV[2], '[^,]+') do if s == state then allowed = true end end
if not allowed then return {0, state, outId} end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'updatedAt', ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if state ~= ARGV[3] then
  redis.call('HINCRBY', KEYS[2], state, -n)
  redis.call('HINCRBY', KEYS[2], ARGV[3], n)
end
return {1, state}
`;

/**
 * split: replace a chunk by single-number children, atomically (children exist iff the parent is
 * split), only if the parent is still at the caller's attempt.
 * KEYS[1] parent chunk, KEYS[2] send counts, KEYS[3..] child chunk hashes
 * ARGV[1] parent outId, ARGV[2] now, ARGV[3] ttl seconds, ARGV[4] sendId, ARGV[5] kind,
 * then per child: index, payload (JSON); each child holds one recipient.
 * Returns 1 when split, 0 when the parent moved on.
 */
export const SPLIT_SCRIPT = `
local f = redis.call('HMGET', KEYS[1], 'state', 'outId', 'n')
if (f[1] ~= 'sending' and f[1] ~= 'unknown') or f[2] ~= ARGV[1] then return 0 end
local n = tonumber(f[3] or '0')
for i = 3, #KEYS do
  local a = 6 + (i - 3) * 2
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'state', 'queued', 'attempt', 0, 'n', 1, 'createdAt', ARGV[2], 'updatedAt', ARGV[2],
      'sendId', ARGV[4], 'kind', ARGV[5], 'index', ARGV[a], 'payload', ARGV[a + 1])
    redis.call('EXPIRE', KEYS[i], ARGV[3])
  end
end
redis.call('HSET', KEYS[1], 'state', 'split', 'children', #KEYS - 2, 'updatedAt', ARGV[2])
redis.call('HINCRBY', KEYS[2], f[1], -n)
redis.call('HINCRBY', KEYS[2], 'queued', #KEYS - 2)
return 1
`;
