--[[
  Compacts a finished send (src/queue/send-store.ts `compact`): once nothing more can arrive for
  it, its records are reduced to what `status` and the recipient pages still read, written into
  the send hash itself, and every other record of it is deleted: its counts, its chunks (payloads with them), its receipts, its auto-pause outcomes,
  its parked jobs, and its chunks' entries in the receipt window. The send hash is rewritten with
  as few and as short fields as that takes, and keeps its TTL (its kind's retention).

  Nothing more can arrive when the send is in an end state (send lifecycle, lifecycle.ts), its
  enqueue finished, its end was announced (endNotifiedAt: its callback job is added), and none of
  its recipients is pending (queued, sending, unknown, accepted): every recipient is final, and a
  final state never goes back. A late duplicate report, a stale look-up or send job then finds no
  chunk, and ends as it does for a send past its retention. Anything else (a chunk not written,
  a split child missing, a chunk still unsent) leaves the send as it is: it is refused, not forced.

  The send hash then holds only (a value over 64 bytes cut into `<name>`, `<name>.1`, ..., see
  below; readers: send-store.ts status, receipts/send-recipients.ts,
  recipient-store.ts applyLate; settle-send reads `state`, and `z` stands for endNotifiedAt). This
  is version 2 of the packing; readers still read version 1 (`1` first in `z`, `@` heading a
  chunk), which sends compacted before it keep until their retention ends:
    state      the send's state, as before
    z          the send record: `2`, then kind, api, templateCode, signName, name, idempotencyKey,
               callbackUrl, deadline, recipients, rejected, duplicates, chunks, createdAt,
               stateChangedAt, history, enqueuedAt, code, reason, controlReason, and the counts
               (`<letter><n>` for each that is not 0, space-separated), `\31`-separated. kind and
               api by one letter (the maps below; a name without one is written whole); deadline
               and the four totals bare, '' when absent or 0 (status reads both as 0); createdAt
               in base 36; stateChangedAt, enqueuedAt and the history's times in base 36 ms after
               createdAt (`-` before a time before it; '=' and the value as written when it is not
               a whole number), stateChangedAt '' when it is the last history entry's (status reads
               it there); history entries `<state letter><time>` (`state:<time>` for a state without
               one); the other optional values '' when absent, else '=' and the value
    r<i>       top-level chunk i: one line per recipient position, in the chunk's order (a split
               chunk's position j from its child <i>-j). A line is `#<chunk index>|<chunk state,
               one letter>|<code>|<bizId>|<attempt>|<sentAt, base-36 ms after createdAt>|<the
               OutId's nonce>|<undone: of its attempts, those undone before their call; left out
               when none>` for a chunk (code '' for OK on an accepted chunk, '=' for none on one),
               then `<phone>` or `<phone>|<receipt>` (the receipt as the recipients hash stored
               it, recipient-store.ts), `\n`-separated
    u          the recipients recorded without a chunk (opted out, refused at the door):
               `<phone>|<receipt>` lines
    e          the send's extension code (its record's smsUpExtendCode) as written, when it has
               one: a field of its own, not a value of `z`, whose readers (this version's and the
               one before) read `z` by position

  Input:
    KEYS[1] send hash
    KEYS[2] send counts hash
    KEYS[3] the send's recipients hash
    KEYS[4] receipt window (sorted set of chunk ids)
    KEYS[5] the send's last chunk outcomes
    KEYS[6] the send's parked jobs
    KEYS[7..] the send's chunk keys, as the caller read them just before: each chunk's, and a
            split chunk's children's (`<prefix>:chunk:<sendId>.<i>`, `...<i>-<j>`). Every key it
            reads or deletes is named, as Redis Cluster requires: a version that built them from
            a prefix could run on the node importing the slot while they were still on the owner,
            and compact a send without its chunks, or delete keys on the wrong node. A chunk key
            it needs that is not named (a chunk split since) refuses: 'chunk-keys-changed'.
    ARGV[1] what the send's chunk keys start with (`<prefix>:chunk:<sendId>.`; same slot: the tag)
    ARGV[2] most recipients a send may have to be compacted (the script's run time is bounded)

  Output:
    {'compacted', chunks deleted} | {'no', reason} (reason 'unpackable': a value holds the separator;
    'chunk-unreadable': a chunk's receipts were expired by chunk, its numbers unreadable)
]]
--@include "lifecycle"
--@include "compact-record"

-- One letter for the names that recur in every record (send-store.ts decodes them; a name without a
-- letter is written whole, and is longer than one character).
local STATE_LETTER = {enqueuing = 'e', active = 'a', paused = 'p', sent = 's', completed = 'c', cancelled = 'x', expired = 't', failed = 'f'}
-- COUNT_LETTER: includes/compact-record.lua, which reads what this writes.
local KIND_LETTER = {verification = 'v', notification = 'n', marketing = 'm'}
local API_LETTER = {SendSms = 's', SendBatchSms = 'b'}

local send = redis.call('HMGET', KEYS[1], 'state', 'enqueuedAt', 'endNotifiedAt', 'chunks', 'recipients', 'rejected', 'z', 'sendId')
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
  if n ~= 0 then counts[#counts + 1] = COUNT_LETTER[flat[i]] and (COUNT_LETTER[flat[i]] .. flat[i + 1]) or (flat[i] .. '=' .. flat[i + 1]) end
end

local FINAL = {accepted = true, failed = true, expired = true, cancelled = true}
local CHUNK_LETTER = {accepted = 'a', failed = 'f', expired = 'e', cancelled = 'c'}
-- An integer in base 36 (digits, then lower-case letters; `-` before a negative one), as JavaScript's toString(36).
local function base36(n)
  n = math.floor(n)
  if n == 0 then return '0' end
  local sign = ''
  if n < 0 then
    sign = '-'
    n = -n
  end
  local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
  local out = ''
  while n > 0 do
    local d = n % 36
    out = string.sub(digits, d + 1, d + 1) .. out
    n = (n - d) / 36
  end
  return sign .. out
end

-- The send record, read whole: createdAt is what the chunks' times are written after.
local r = redis.call('HGETALL', KEYS[1])
local h = {}
for i = 1, #r, 2 do h[r[i]] = r[i + 1] end
local created = tonumber(h.createdAt or '0') or 0
-- A time as written by the scripts (ms), in base-36 ms after createdAt; '=' and the value when it is not a whole number.
local function after(v)
  if not v then return '' end
  if string.match(v, '^%d+$') and #v <= 15 then return base36(tonumber(v) - created) end
  return '=' .. v
end
local deleted = {}
local windowIds = {}

-- A stored receipt the lines can hold: `<state>|<code>|<time>|<source>`, three separators and no
-- line break (a code stored before codes were made storable may hold either).
local function packable(receipt)
  if string.find(receipt, '\n', 1, true) then return false end
  local _, separators = string.gsub(receipt, '|', '')
  return separators == 3
end

-- The lines of one chunk that holds its recipients itself (not split); nil and the reason when it
-- cannot be compacted ('unpackable': a value holds a separator of the lines; the send stays as it is).
local function chunkLines(key, index)
  local c = redis.call('HMGET', key, 'state', 'code', 'bizId', 'attempt', 'sentAt', 'payload', 'outId', 'windowExpired', 'undone')
  if not c[1] or not FINAL[c[1]] then return nil, 'chunk-not-final' end
  -- Expired by chunk (its numbers unreadable, expire-chunk-receipts.lua): the lines would name
  -- numbers it no longer vouches for, without receipts; the live records (its tally) say what it knows.
  if c[8] then return nil, 'chunk-unreadable' end
  for _, v in ipairs({c[2] or '', c[3] or '', c[4] or '', c[7] or ''}) do
    if string.find(v, '[|\n]') then return nil, 'unpackable' end
  end
  local list = string.match(c[6] or '', '"phones":%[([^%]]*)%]')
  if not list then return nil, 'chunk-not-final' end
  -- The OutId's nonce when it is `<chunk id>.<attempt>-<nonce>` (a late pushed report is checked
  -- against it), else '=' and the whole OutId; '' when it has none.
  local chunkId = send[8] .. '.' .. index
  local outId = c[7] or ''
  local stem = chunkId .. '.' .. (c[4] or '0') .. '-'
  if outId ~= '' then
    if string.sub(outId, 1, #stem) == stem and #outId > #stem then outId = string.sub(outId, #stem + 1) else outId = '=' .. outId end
  end
  -- The code of an accepted chunk: '' for OK, '=' for none.
  local code = c[2] or ''
  if c[1] == 'accepted' then
    if code == 'OK' then code = '' elseif code == '' then code = '=' end
  end
  -- Last and only when there is one: a chunk never undone keeps the head line it had before.
  local undone = (c[9] and c[9] ~= '0') and ('|' .. c[9]) or ''
  local lines = {'#' .. index .. '|' .. CHUNK_LETTER[c[1]] .. '|' .. code .. '|' .. (c[3] or '') .. '|' .. (c[4] or '0') .. '|' .. after(c[5]) .. '|' .. outId .. undone}
  local phones = {}
  for phone in string.gmatch(list, '"([^"]*)"') do phones[#phones + 1] = phone end
  local receipts = (c[1] == 'accepted' and #phones > 0) and redis.call('HMGET', KEYS[3], unpack(phones)) or {}
  for i, phone in ipairs(phones) do
    local r = receipts[i]
    if r and not packable(r) then return nil, 'unpackable' end
    lines[#lines + 1] = r and (phone .. '|' .. r) or phone
  end
  deleted[#deleted + 1] = key
  if c[1] == 'accepted' then windowIds[#windowIds + 1] = chunkId end
  return lines, #phones
end

local declared = {}
for k = 7, #KEYS do declared[KEYS[k]] = true end

local fields = {}
for i = 0, tonumber(send[4] or '0') - 1 do
  local key = ARGV[1] .. i
  if not declared[key] then return {'no', 'chunk-keys-changed'} end
  local state = redis.call('HGET', key, 'state')
  if not state then return {'no', 'chunk-missing'} end
  local lines
  if state == 'split' then
    local n = tonumber(redis.call('HGET', key, 'n') or '0')
    lines = {}
    for j = 0, n - 1 do
      if not declared[ARGV[1] .. i .. '-' .. j] then return {'no', 'chunk-keys-changed'} end
      local child, count = chunkLines(ARGV[1] .. i .. '-' .. j, i .. '-' .. j)
      if not child and count == 'unpackable' then return {'no', 'unpackable'} end
      if not child or count ~= 1 then return {'no', 'child-not-final'} end
      for _, l in ipairs(child) do lines[#lines + 1] = l end
    end
    deleted[#deleted + 1] = key
  else
    local reason
    lines, reason = chunkLines(key, tostring(i))
    if not lines then return {'no', reason} end
  end
  fields[#fields + 1] = 'r' .. i
  fields[#fields + 1] = table.concat(lines, '\n')
end

local unchunked = {}
local receipts = redis.call('HGETALL', KEYS[3])
for i = 1, #receipts, 2 do
  local letter = string.sub(receipts[i + 1], 1, 1)
  if letter == 's' or letter == 'x' then
    -- The field is the number as the caller wrote it, for one refused at the door.
    if string.find(receipts[i], '[|\n]') or not packable(receipts[i + 1]) then return {'no', 'unpackable'} end
    unchunked[#unchunked + 1] = receipts[i] .. '|' .. receipts[i + 1]
  end
end
if #unchunked > 0 then
  fields[#fields + 1] = 'u'
  fields[#fields + 1] = table.concat(unchunked, '\n')
end
-- The send record itself, one field: the values `status` reads, in a fixed order, `\31`-separated
-- (version 2, see the header).
local SEP = '\31'
local function opt(v) return v and ('=' .. v) or '' end
local function bare(v) return (v == nil or v == '0') and '' or v end
local history, lastAt = {}, nil
for state, at in string.gmatch(h.history or '', '(%a+):(%d+)') do
  local delta = after(at)
  history[#history + 1] = STATE_LETTER[state] and (STATE_LETTER[state] .. delta) or (state .. ':' .. delta)
  lastAt = at
end
local function letter(map, v) return v and (map[v] or v) or '' end
local createdAt = h.createdAt and (string.match(h.createdAt, '^%d+$') and #h.createdAt <= 15 and base36(created) or ('=' .. h.createdAt)) or ''
-- status reads the last history entry's time when stateChangedAt is absent.
local stateChangedAt = (h.stateChangedAt == lastAt) and '' or after(h.stateChangedAt)
local record = {'2', letter(KIND_LETTER, h.kind), letter(API_LETTER, h.api), h.templateCode or '', h.signName or '', opt(h.name), opt(h.idempotencyKey), opt(h.callbackUrl),
  bare(h.deadline), bare(h.recipients), bare(h.rejected), bare(h.duplicates), bare(h.chunks), createdAt, stateChangedAt,
  table.concat(history, ' '), after(h.enqueuedAt), opt(h.code), opt(h.reason), opt(h.controlReason), table.concat(counts, ' ')}
for _, v in ipairs(record) do
  if string.find(v, SEP, 1, true) then return {'no', 'unpackable'} end
end
if h.smsUpExtendCode then
  fields[#fields + 1] = 'e'
  fields[#fields + 1] = h.smsUpExtendCode
end
-- `state` stays a field of its own: the scripts that read a send's state (settle, set-control, fail) read it there.
fields[#fields + 1] = 'state'
fields[#fields + 1] = h.state
fields[#fields + 1] = 'z'
fields[#fields + 1] = table.concat(record, SEP)

local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
-- Values of 64 bytes or less keep a small hash in the listpack encoding with Redis's defaults
-- (hash-max-listpack-value 64, entries 128): a longer value is cut, at a UTF-8 character's start,
-- into `<name>`, `<name>.1`, `<name>.2`, ... (readers join them), unless there would be too many
-- fields for a listpack anyway (a large send).
local PIECE = 64
local cut = {}
for i = 1, #fields, 2 do
  local name, value = fields[i], fields[i + 1]
  local k = 0
  while #value > PIECE do
    local at = PIECE
    while at > 1 do
      local b = string.byte(value, at + 1)
      if b < 128 or b >= 192 then break end
      at = at - 1
    end
    cut[#cut + 1] = k == 0 and name or (name .. '.' .. k)
    cut[#cut + 1] = string.sub(value, 1, at)
    value = string.sub(value, at + 1)
    k = k + 1
  end
  cut[#cut + 1] = k == 0 and name or (name .. '.' .. k)
  cut[#cut + 1] = value
end
if #cut <= 2 * 120 then fields = cut end
redis.call('HSET', KEYS[1], unpack(fields))
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
if #windowIds > 0 then redis.call('ZREM', KEYS[4], unpack(windowIds)) end
deleted[#deleted + 1] = KEYS[2]
deleted[#deleted + 1] = KEYS[3]
deleted[#deleted + 1] = KEYS[5]
deleted[#deleted + 1] = KEYS[6]
redis.call('UNLINK', unpack(deleted))
return {'compacted', tostring(#deleted - 4)}
