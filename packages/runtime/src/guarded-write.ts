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
// guard that authorizes them (an offset fence, a lease) can never be stored apart. Writes come in
// groups; a group may carry its own condition (a key that must still hold the value the caller read,
// e.g. an erasure mark) and is skipped when it no longer does. Redis does not roll back a script
// that fails half-way, so every key a running group writes is type-checked before the first write:
// a wrong type (the only runtime error these verbs can meet) fails the whole write with nothing stored.
//
// ARGV: expected, next, move guard (1/0), group count, then per group: condition key index (0: none),
// condition value, command count, then per command: argument count, verb, key index, arguments.
const guardedScript = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
local expected = { SET = 'string', INCRBY = 'string', HSET = 'hash', HINCRBY = 'hash', HDEL = 'hash',
  ZADD = 'zset', ZREM = 'zset', SADD = 'set', SREM = 'set', LPUSH = 'list', LTRIM = 'list' }
local groups = {}
local pos = 5
for g = 1, tonumber(ARGV[4]) do
  local when = tonumber(ARGV[pos])
  local run = when == 0 or (redis.call('GET', KEYS[when]) or '') == ARGV[pos + 1]
  local count = tonumber(ARGV[pos + 2])
  pos = pos + 3
  groups[g] = { run, pos, count }
  for c = 1, count do
    local argc = tonumber(ARGV[pos])
    local want = expected[ARGV[pos + 1]]
    if run and want then
      local key = KEYS[tonumber(ARGV[pos + 2])]
      local have = redis.call('TYPE', key).ok
      if have ~= 'none' and have ~= want then
        return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. have .. ', ' .. ARGV[pos + 1] .. ' needs a ' .. want)
      end
    end
    pos = pos + 3 + argc
  end
end
if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[2]) end
for _, group in ipairs(groups) do
  if group[1] then
    local at = group[2]
    for c = 1, group[3] do
      local argc = tonumber(ARGV[at])
      local args = { KEYS[tonumber(ARGV[at + 2])] }
      for j = 1, argc do args[j + 1] = ARGV[at + 2 + j] end
      redis.call(ARGV[at + 1], unpack(args))
      at = at + 3 + argc
    end
  end
end
return 1
`;

/** Writes that run only while `when.key` still holds `when.equals` ("" = absent). */
export interface ConditionalWrites {
  when: { key: string; equals: string };
  commands: GuardedCommand[];
}

export interface GuardedWrite {
  /** The guard: the writes happen only while this key holds `expected` ("" = absent). */
  key: string;
  expected: string;
  /** Moves the guard to this value with the writes (an offset fence); absent leaves it (a lease). */
  next?: string;
  commands: GuardedCommand[];
  /** Further writes, each group skipped (alone) when its own condition no longer holds. */
  conditional?: ConditionalWrites[];
}

/** Applies `commands` atomically if the guard still holds; false (nothing written) otherwise. */
export async function runGuarded(redis: Redis, write: GuardedWrite): Promise<boolean> {
  const keys = [write.key];
  const keyIndex = new Map<string, number>();
  const indexOf = (key: string) => {
    let index = keyIndex.get(key);
    if (index === undefined) {
      keys.push(key);
      index = keys.length;
      keyIndex.set(key, index);
    }
    return index;
  };
  const groups = [{ when: undefined, commands: write.commands }, ...(write.conditional ?? [])];
  const argv: (string | number)[] = [
    write.expected,
    write.next ?? "",
    write.next === undefined ? "0" : "1",
    groups.length,
  ];
  for (const group of groups) {
    argv.push(group.when ? indexOf(group.when.key) : 0, group.when?.equals ?? "", group.commands.length);
    for (const [verb, key, ...args] of group.commands) argv.push(args.length, verb, indexOf(key), ...args);
  }
  return (await redis.eval(guardedScript, keys.length, ...keys, ...argv)) === 1;
}
