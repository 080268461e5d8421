-- Ends a node's lease now (a graceful shutdown); other nodes then sweep what it left.
-- KEYS[1] the sorted set of leases; ARGV[1] the node token.
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000) - 1, ARGV[1])
return 1
