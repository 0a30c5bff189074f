--[[
  Publishes one chunk event on the events stream, approximately trimmed to maxlen:
    type=chunk sendId chunkId from state n code at
  (n a number or its text: move-counts.lua countArgs.)
]]
local function emit(stream, maxlen, sendId, chunkId, from, to, n, code, at)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'type', 'chunk', 'sendId', sendId, 'chunkId', chunkId,
    'from', from, 'state', to, 'n', n, 'code', code or '', 'at', at)
end
