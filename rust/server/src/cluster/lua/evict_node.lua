-- Takes off every session of one node from an account (a dead node's sweep, a node leaving).
-- KEYS[1] the account hash; ARGV[1] the node token. Answers the number taken off.
local needle = ' ' .. ARGV[1] .. ' '
local fields = redis.call('HGETALL', KEYS[1])
local taken = 0
for i = 1, #fields, 2 do
  if #fields[i] == 16 and string.find(fields[i + 1], needle, 1, true) then
    redis.call('HDEL', KEYS[1], fields[i])
    taken = taken + 1
  end
end
if taken > 0 then
  redis.call('HINCRBY', KEYS[1], '#', 1)
end
return taken
