-- Records that a dead node was swept: it leaves the leases for the swept nodes, where it stays
-- dead for a while (a session it wrote in the instant before it died still counts for nothing).
-- KEYS[1] the sorted set of leases; KEYS[2] the sorted set of swept nodes; ARGV[1] the token.
local t = redis.call('TIME')
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
return 1
