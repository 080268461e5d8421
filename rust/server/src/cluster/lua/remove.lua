-- Takes one session off an account, and says whether the node still holds another session of it
-- (when it does not, the node drops the account from its index).
-- KEYS[1] the account hash; KEYS[2] (on one Redis, not a Redis Cluster) the node's index, which
-- then loses the account here. ARGV[1] the session id; ARGV[2] the node token; ARGV[3] the
-- account as an index member. Answers {removed (0/1), node_still_holds (0/1)}.
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if removed == 1 then
  redis.call('HINCRBY', KEYS[1], '#', 1)
end
local needle = ' ' .. ARGV[2] .. ' '
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if #fields[i] == 16 and string.find(fields[i + 1], needle, 1, true) then
    return {removed, 1}
  end
end
if KEYS[2] then
  redis.call('SREM', KEYS[2], ARGV[3])
end
return {removed, 0}
