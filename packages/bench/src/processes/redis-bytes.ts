import { Redis } from "ioredis";

/** Bytes Redis has read from all its clients so far (INFO stats): what was written to it. */
export async function redisBytesIn(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info("stats");
    const match = /total_net_input_bytes:(\d+)/.exec(info);
    if (!match) throw new Error("Redis INFO stats has no total_net_input_bytes");
    return Number(match[1]);
  } finally {
    redis.disconnect();
  }
}
