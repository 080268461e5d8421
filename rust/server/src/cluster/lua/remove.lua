-- Takes one session off an account, and off its node's index.
-- KEYS[1] the account hash; KEYS[2] (on one Redis, not a Redis Cluster) the node's index.
-- ARGV[1] the session id; ARGV[2] the session as an index member. Answers 1 when the session was
-- still in the hash (a login elsewhere may have taken it off already), else 0.
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if removed == 1 then
  redis.call('HINCRBY', KEYS[1], '#', 1)
end
if KEYS[2] then
  redis.call('SREM', KEYS[2], ARGV[2])
end
return removed
