import type { FencedCommand, Redis } from "@argus/runtime";

/**
 * A client's writes of one batch, stored only if the client was not erased since the batch read its
 * state: `mark` is the client's erasure mark as the batch saw it ("" for none). An EraseClient that
 * lands between the batch's read and its write leaves a new mark, and the batch then writes nothing
 * for that client instead of bringing the erased state back.
 */
export interface ClientWrites {
  mark: { key: string; seen: string };
  commands: FencedCommand[];
}

export interface FencedClientWrite {
  /** The partition's offset fence, moved from `expected` to `next` with the writes. */
  fenceKey: string;
  expected: string;
  next: string;
  /** Writes that belong to no client (model baselines, outlier models, confident predictions). */
  shared: FencedCommand[];
  clients: ClientWrites[];
}

// The offset fence's compare-and-set (runtime's guarded write) with one more rule: a group of
// commands runs only while its erasure mark still holds the value the batch read. Types are checked
// for every command that will run before the first write, so a wrong type stores nothing.
//
// ARGV: expected, next, group count, then per group: mark key index (0: no mark), mark value,
// command count, then per command: argument count, verb, key index, arguments.
const script = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
local expected = { SET = 'string', INCRBY = 'string', HSET = 'hash', HINCRBY = 'hash', HDEL = 'hash',
  ZADD = 'zset', ZREM = 'zset', SADD = 'set', SREM = 'set', LPUSH = 'list', LTRIM = 'list' }
local groups = {}
local pos = 4
for g = 1, tonumber(ARGV[3]) do
  local markIndex = tonumber(ARGV[pos])
  local run = markIndex == 0 or (redis.call('GET', KEYS[markIndex]) or '') == ARGV[pos + 1]
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
redis.call('SET', KEYS[1], ARGV[2])
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

/** Applies a batch's writes with its offset fence; false (nothing written) when the fence moved. */
export async function writeFencedClients(redis: Redis, write: FencedClientWrite): Promise<boolean> {
  const keys = [write.fenceKey];
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
  const groups = [{ mark: undefined, commands: write.shared }, ...write.clients];
  const argv: (string | number)[] = [write.expected, write.next, groups.length];
  for (const group of groups) {
    argv.push(group.mark ? indexOf(group.mark.key) : 0, group.mark?.seen ?? "", group.commands.length);
    for (const [verb, key, ...args] of group.commands) argv.push(args.length, verb, indexOf(key), ...args);
  }
  return (await redis.eval(script, keys.length, ...keys, ...argv)) === 1;
}
