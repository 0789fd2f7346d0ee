import { Redis } from "ioredis";

/** One numeric field of Redis INFO (e.g. `memory` / `used_memory`). */
export async function redisInfoNumber(client: Redis, section: string, field: string): Promise<number> {
  const info = await client.info(section);
  const match = new RegExp(`^${field}:(\\d+)`, "m").exec(info);
  if (!match) throw new Error(`Redis INFO ${section} has no ${field}`);
  return Number(match[1]);
}

/** Bytes Redis has read from all its clients so far (INFO stats): what was written to it. */
export async function redisBytesIn(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await redisInfoNumber(redis, "stats", "total_net_input_bytes");
  } finally {
    redis.disconnect();
  }
}
