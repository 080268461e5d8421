-- Renews a node's lease and answers the nodes whose leases have run out.
-- KEYS[1] the sorted set of leases; ARGV[1] the node token; ARGV[2] the lease (ms); ARGV[3] "1"
-- when the node has just started, which ends the leases of its earlier runs (same node id, other
-- incarnation) at once; ARGV[4] how long (ms) a dead node is remembered after its lease ran out.
-- Answers {held (1 when the lease was still held before this renewal), dead tokens}.
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
local held = (score and score >= now) and 1 or 0
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if ARGV[3] == '1' then
  local prefix = string.match(ARGV[1], '^[^#]*#')
  for _, token in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if token ~= ARGV[1] and string.sub(token, 1, #prefix) == prefix then
      redis.call('ZADD', KEYS[1], now - 1, token)
    end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[4])))
return {held, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)}
