import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * One write applied under a guard: a Redis command whose first argument is its key, or
 * `LPUSH_CAPPED key value maxLength ttlMs`: LPUSH, then LTRIM to the newest `maxLength` and PEXPIRE
 * `ttlMs` (a bounded log that expires after its last line), in one command instead of three.
 */
export type GuardedCommand = [command: GuardedVerb, key: string, ...args: (string | number)[]];
export type GuardedVerb =
  | "SET"
  | "DEL"
  | "HSET"
  | "HSETNX"
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
  | "LTRIM"
  | "LPUSH_CAPPED";

// One character per verb in the plan: a write pass names thousands of commands, and their names
// and counts as arguments of their own cost more bytes than most of the values they carry.
const verbCodes: Record<GuardedVerb, string> = {
  SET: "S",
  DEL: "D",
  HSET: "H",
  HSETNX: "n",
  HINCRBY: "I",
  HDEL: "h",
  ZADD: "Z",
  ZREM: "z",
  INCRBY: "N",
  PEXPIRE: "X",
  PERSIST: "P",
  SADD: "A",
  SREM: "R",
  LPUSH: "L",
  LTRIM: "T",
  LPUSH_CAPPED: "C",
};

// Compare the guard, optionally move it, then every write, in one atomic script: effects and the
// guard that authorizes them (an offset fence, a lease) can never be stored apart. Writes come in
// groups; a group may carry its own condition (a key that must still hold the value the caller read,
// e.g. an erasure mark) and is skipped when it no longer does. Redis does not roll back a script
// that fails half-way, so every key a running group writes is type-checked before the first write:
// a wrong type (the only runtime error these verbs can meet) fails the whole write with nothing stored.
//
// ARGV: expected, next, plan, then the values. The plan is a run of tokens, each a letter and a
// number (and, for a command, "." and its argument count): m<move guard 1/0> g<group count>, then
// per group w<condition key index, 0: none> c<command count>, then per command <verb code><key
// index>.<argument count> ("S12.3"). Values: per group its condition value (when it has a
// condition), then its commands' arguments.
const guardedScript = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
local verbs = { S = { 'SET', 'string' }, D = { 'DEL' }, H = { 'HSET', 'hash' }, n = { 'HSETNX', 'hash' },
  I = { 'HINCRBY', 'hash' },
  h = { 'HDEL', 'hash' }, Z = { 'ZADD', 'zset' }, z = { 'ZREM', 'zset' }, N = { 'INCRBY', 'string' },
  X = { 'PEXPIRE' }, P = { 'PERSIST' }, A = { 'SADD', 'set' }, R = { 'SREM', 'set' },
  L = { 'LPUSH', 'list' }, T = { 'LTRIM', 'list' }, C = { 'LPUSH', 'list', true } }
local plan = {}
for letter, number, argc in string.gmatch(ARGV[3], '(%a)(%d+)%.?(%d*)') do
  plan[#plan + 1] = { letter, tonumber(number), tonumber(argc) }
end
local groups = {}
local at = 3
local value = 4
for g = 1, plan[2][2] do
  local when = plan[at][2]
  local count = plan[at + 1][2]
  local run = true
  if when ~= 0 then
    run = (redis.call('GET', KEYS[when]) or '') == ARGV[value]
    value = value + 1
  end
  local commands = {}
  at = at + 2
  for c = 1, count do
    local verb = verbs[plan[at][1]]
    local key = KEYS[plan[at][2]]
    local argc = plan[at][3]
    if run and verb[2] then
      local have = redis.call('TYPE', key).ok
      if have ~= 'none' and have ~= verb[2] then
        return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. have .. ', ' .. verb[1] .. ' needs a ' .. verb[2])
      end
    end
    commands[c] = { verb, key, value, argc }
    value = value + argc
    at = at + 1
  end
  groups[g] = { run, commands }
end
if plan[1][2] == 1 then redis.call('SET', KEYS[1], ARGV[2]) end
for _, group in ipairs(groups) do
  if group[1] then
    for _, command in ipairs(group[2]) do
      local verb, key, first = command[1], command[2], command[3]
      if verb[3] then
        redis.call('LPUSH', key, ARGV[first])
        redis.call('LTRIM', key, 0, tonumber(ARGV[first + 1]) - 1)
        redis.call('PEXPIRE', key, ARGV[first + 2])
      else
        local args = { key }
        for j = 1, command[4] do args[j + 1] = ARGV[first + j - 1] end
        redis.call(verb[1], unpack(args))
      end
    end
  end
end
return 1
`;
const guardedScriptSha = createHash("sha1").update(guardedScript).digest("hex");

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
  const keyIndex = new Map<string, number>([[write.key, 1]]);
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
  let plan = `m${write.next === undefined ? 0 : 1}g${groups.length}`;
  const values: (string | number)[] = [];
  for (const group of groups) {
    plan += `w${group.when ? indexOf(group.when.key) : 0}c${group.commands.length}`;
    if (group.when) values.push(group.when.equals);
    for (const [verb, key, ...args] of group.commands) {
      plan += `${verbCodes[verb]}${indexOf(key)}.${args.length}`;
      values.push(...args);
    }
  }
  const argv = [write.expected, write.next ?? "", plan, ...values];
  return (await evalCached(redis, keys, argv)) === 1;
}

/** Clients whose server was given the script by this process (SCRIPT LOAD before their first write). */
const loadedOn = new WeakSet<Redis>();

/**
 * The script by its digest, so its text crosses the network once per Redis server instead of with
 * every write. It is loaded before a client's first write: a write that met NOSCRIPT would send its
 * arguments twice, and a service's first write after start is often its largest (a backlog's first
 * batch). A server that lost it since (restarted, SCRIPT FLUSH, another node) gets the text again.
 */
async function evalCached(redis: Redis, keys: string[], argv: (string | number)[]): Promise<unknown> {
  if (!loadedOn.has(redis)) {
    await redis.script("LOAD", guardedScript);
    loadedOn.add(redis);
  }
  try {
    return await redis.evalsha(guardedScriptSha, keys.length, ...keys, ...argv);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return redis.eval(guardedScript, keys.length, ...keys, ...argv);
  }
}
