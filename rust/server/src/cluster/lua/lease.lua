-- Renews a node's lease and answers the nodes that are dead.
-- KEYS[1] the sorted set of leases; KEYS[2] the sorted set of swept nodes. ARGV[1] the node
-- token; ARGV[2] the lease (ms); ARGV[3] "renew", or "new" for a token not yet registered (a
-- node's new incarnation after it lost its lease), or "start" for the token of a node's start,
-- which also ends the leases of its earlier runs (same node id) at once; ARGV[4] how long (ms) a
-- swept node is remembered.
-- A lease that ran out is never renewed: the node must come back under a new token, because a
-- live node may already be sweeping the old one. A dead node stays in KEYS[1] until it is swept
-- (then it moves to KEYS[2]), however long that takes, so that its sessions never count again.
-- Answers {held (1 when the lease is held after this call), dead tokens}.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local held = 1
if ARGV[3] == 'start' then
  local prefix = string.match(ARGV[1], '^[^#]*#')
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
    if token ~= ARGV[1] and string.sub(token, 1, #prefix) == prefix then
      redis.call('ZADD', KEYS[1], now - 1, token)
    end
  end
elseif ARGV[3] == 'renew' then
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
  if not score or score < now then
    held = 0
  end
end
if held == 1 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[4])))
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
for _, token in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  dead[#dead + 1] = token
end
return {held, dead}
