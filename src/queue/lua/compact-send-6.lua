--[[
  Compacts a finished send (src/queue/send-store.ts `compact`): once nothing more can arrive for
  it, its records are reduced to what `status` and the recipient pages still read, written into
  the send hash itself (which keeps its fields and its retention TTL), and every other record of
  it is deleted: its counts, its chunks (payloads with them), its receipts, its auto-pause outcomes,
  its parked jobs, and its chunks' entries in the receipt window.

  Nothing more can arrive when the send is in an end state (send lifecycle, lifecycle.ts), its
  enqueue finished, its end was announced (endNotifiedAt: its callback job is added), and none of
  its recipients is pending (queued, sending, unknown, accepted): every recipient is final, and a
  final state never goes back. A late duplicate report, a stale look-up or send job then finds no
  chunk, and ends as it does for a send past its retention. Anything else (a chunk not written,
  a split child missing, a chunk still unsent) leaves the send as it is: it is refused, not forced.

  Fields written (readers: send-store.ts status, receipts/send-recipients.ts):
    cnt        the counts, `state=n` for every count that is not 0, space-separated
    r<i>       top-level chunk i: one line per recipient position, in the chunk's order (a split
               chunk's position j from its child <i>-j). A line is `@<chunk index>|<chunk state>|
               <code>|<bizId>|<attempt>|<sentAt>|<OutId after '<chunk id>.'>` for a chunk, then `<phone>` or `<phone>|<receipt>`
               (the receipt as the recipients hash stored it, recipient-store.ts), `\n`-separated
    u          the recipients recorded without a chunk (opted out, refused at the door):
               `<phone>|<receipt>` lines

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    KEYS[3] the send's recipients hash
    KEYS[4] receipt window (sorted set of chunk ids)
    KEYS[5] the send's last chunk outcomes
    KEYS[6] the send's parked jobs
    ARGV[1] what the send's chunk keys start with (`<prefix>:chunk:<sendId>.`; same slot: the tag)
    ARGV[2] most recipients a send may have to be compacted (the script's run time is bounded)

  Output:
    {'compacted', chunks deleted} | {'no', reason}
]]
--@include "lifecycle"

local send = redis.call('HMGET', KEYS[1], 'state', 'enqueuedAt', 'endNotifiedAt', 'chunks', 'recipients', 'rejected', 'cnt', 'sendId')
if not send[1] then return {'no', 'missing'} end
if send[7] then return {'no', 'compacted'} end
if not string.find(SEND_ENDS, '|' .. send[1] .. '|', 1, true) then return {'no', 'not-ended'} end
if not send[2] then return {'no', 'not-enqueued'} end
if not send[3] then return {'no', 'not-announced'} end
if tonumber(send[5] or '0') + tonumber(send[6] or '0') > tonumber(ARGV[2]) then return {'no', 'too-large'} end

local flat = redis.call('HGETALL', KEYS[2])
local counts = {}
for i = 1, #flat, 2 do
  local n = tonumber(flat[i + 1]) or 0
  if (flat[i] == 'queued' or flat[i] == 'sending' or flat[i] == 'unknown' or flat[i] == 'accepted') and n ~= 0 then return {'no', 'pending'} end
  if n ~= 0 then counts[#counts + 1] = flat[i] .. '=' .. flat[i + 1] end
end

local FINAL = {accepted = true, failed = true, expired = true, cancelled = true}
local deleted = {}
local windowIds = {}

-- The lines of one chunk that holds its recipients itself (not split); nil when it cannot be compacted.
local function chunkLines(key, index)
  local c = redis.call('HMGET', key, 'state', 'code', 'bizId', 'attempt', 'sentAt', 'payload', 'outId')
  if not c[1] or not FINAL[c[1]] then return nil end
  local list = string.match(c[6] or '', '"phones":%[([^%]]*)%]')
  if not list then return nil end
  -- The OutId without its chunk id (`<attempt>-<nonce>`): a late pushed report is checked against it.
  local chunkId = send[8] .. '.' .. index
  local outId = c[7] or ''
  if string.sub(outId, 1, #chunkId + 1) == chunkId .. '.' then outId = string.sub(outId, #chunkId + 2) end
  local lines = {'@' .. index .. '|' .. c[1] .. '|' .. (c[2] or '') .. '|' .. (c[3] or '') .. '|' .. (c[4] or '0') .. '|' .. (c[5] or '') .. '|' .. outId}
  local phones = {}
  for phone in string.gmatch(list, '"([^"]*)"') do phones[#phones + 1] = phone end
  local receipts = (c[1] == 'accepted' and #phones > 0) and redis.call('HMGET', KEYS[3], unpack(phones)) or {}
  for i, phone in ipairs(phones) do
    local r = receipts[i]
    lines[#lines + 1] = r and (phone .. '|' .. r) or phone
  end
  deleted[#deleted + 1] = key
  if c[1] == 'accepted' then windowIds[#windowIds + 1] = chunkId end
  return lines, #phones
end

local fields = {}
for i = 0, tonumber(send[4] or '0') - 1 do
  local key = ARGV[1] .. i
  local state = redis.call('HGET', key, 'state')
  if not state then return {'no', 'chunk-missing'} end
  local lines
  if state == 'split' then
    local n = tonumber(redis.call('HGET', key, 'n') or '0')
    lines = {}
    for j = 0, n - 1 do
      local child, count = chunkLines(ARGV[1] .. i .. '-' .. j, i .. '-' .. j)
      if not child or count ~= 1 then return {'no', 'child-not-final'} end
      for _, l in ipairs(child) do lines[#lines + 1] = l end
    end
    deleted[#deleted + 1] = key
  else
    lines = chunkLines(key, tostring(i))
    if not lines then return {'no', 'chunk-not-final'} end
  end
  fields[#fields + 1] = 'r' .. i
  fields[#fields + 1] = table.concat(lines, '\n')
end

local unchunked = {}
local receipts = redis.call('HGETALL', KEYS[3])
for i = 1, #receipts, 2 do
  local letter = string.sub(receipts[i + 1], 1, 1)
  if letter == 's' or letter == 'x' then unchunked[#unchunked + 1] = receipts[i] .. '|' .. receipts[i + 1] end
end
if #unchunked > 0 then
  fields[#fields + 1] = 'u'
  fields[#fields + 1] = table.concat(unchunked, '\n')
end
fields[#fields + 1] = 'cnt'
fields[#fields + 1] = table.concat(counts, ' ')

redis.call('HSET', KEYS[1], unpack(fields))
if #windowIds > 0 then redis.call('ZREM', KEYS[4], unpack(windowIds)) end
deleted[#deleted + 1] = KEYS[2]
deleted[#deleted + 1] = KEYS[3]
deleted[#deleted + 1] = KEYS[5]
deleted[#deleted + 1] = KEYS[6]
redis.call('UNLINK', unpack(deleted))
return {'compacted', tostring(#deleted - 4)}
