-- Takes every session of an account off and answers them (field, value, ...), so that the caller
-- ends them where they are connected. ARGV[1], when not "", invalidates tickets signed before it
-- (Unix s) from now on.
-- KEYS[1] the account hash.
local fields = redis.call('HGETALL', KEYS[1])
local ended = {}
for i = 1, #fields, 2 do
  if #fields[i] == 16 then
    redis.call('HDEL', KEYS[1], fields[i])
    ended[#ended + 1] = fields[i]
    ended[#ended + 1] = fields[i + 1]
  end
end
if ARGV[1] ~= '' then
  local before = tonumber(redis.call('HGET', KEYS[1], 'x')) or 0
  redis.call('HSET', KEYS[1], 'x', math.max(before, tonumber(ARGV[1])))
end
if #ended > 0 then
  redis.call('HINCRBY', KEYS[1], '#', 1)
end
return ended
