import type { Redis } from "ioredis";

/** One write applied under a guard: a Redis command whose first argument is its key. */
export type GuardedCommand = [command: GuardedVerb, key: string, ...args: (string | number)[]];
export type GuardedVerb =
  | "SET"
  | "DEL"
  | "HSET"
  | "HINCRBY"
  | "HDEL"
  | "ZADD"
  | "ZREM"
  | "INCRBY"
  | "PEXPIRE"
  | "PERSIST"
  | "SADD"
  | "SREM"
  | "LPUSH"
  | "LTRIM";

// Compare the guard, optionally move it, then every write, in one atomic script: effects and the
// guard that authorizes them (an offset fence, a lease) can never be stored apart. Redis does not
// roll back a script that fails half-way, so every key's type is checked before the first write: a
// wrong type (the only runtime error these verbs can meet) fails the whole write with nothing stored.
const guardedScript = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
local expected = { SET = 'string', INCRBY = 'string', HSET = 'hash', HINCRBY = 'hash', HDEL = 'hash',
  ZADD = 'zset', ZREM = 'zset', SADD = 'set', SREM = 'set', LPUSH = 'list', LTRIM = 'list' }
local count = tonumber(ARGV[4])
local pos = 5
for c = 1, count do
  local argc = tonumber(ARGV[pos])
  local want = expected[ARGV[pos + 1]]
  if want then
    local key = KEYS[tonumber(ARGV[pos + 2])]
    local have = redis.call('TYPE', key).ok
    if have ~= 'none' and have ~= want then
      return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. have .. ', ' .. ARGV[pos + 1] .. ' needs a ' .. want)
    end
  end
  pos = pos + 3 + argc
end
if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[2]) end
pos = 5
for c = 1, count do
  local argc = tonumber(ARGV[pos])
  local verb = ARGV[pos + 1]
  local args = { KEYS[tonumber(ARGV[pos + 2])] }
  for j = 1, argc do args[j + 1] = ARGV[pos + 2 + j] end
  redis.call(verb, unpack(args))
  pos = pos + 3 + argc
end
return 1
`;

export interface GuardedWrite {
  /** The guard: the writes happen only while this key holds `expected` ("" = absent). */
  key: string;
  expected: string;
  /** Moves the guard to this value with the writes (an offset fence); absent leaves it (a lease). */
  next?: string;
  commands: GuardedCommand[];
}

/** Applies `commands` atomically if the guard still holds; false (nothing written) otherwise. */
export async function runGuarded(redis: Redis, write: GuardedWrite): Promise<boolean> {
  const keys = [write.key];
  const keyIndex = new Map<string, number>();
  const argv: (string | number)[] = [
    write.expected,
    write.next ?? "",
    write.next === undefined ? "0" : "1",
    write.commands.length,
  ];
  for (const [verb, key, ...args] of write.commands) {
    let index = keyIndex.get(key);
    if (index === undefined) {
      keys.push(key);
      index = keys.length;
      keyIndex.set(key, index);
    }
    argv.push(args.length, verb, index, ...args);
  }
  return (await redis.eval(guardedScript, keys.length, ...keys, ...argv)) === 1;
}
