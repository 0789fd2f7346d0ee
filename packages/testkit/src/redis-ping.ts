import { connect } from "node:net";

/**
 * true when a Redis server on host:port answers PING with +PONG. Spoken over a raw socket so the
 * testkit needs no Redis client; a server still loading its dataset answers -LOADING, not +PONG.
 */
export function pingRedis(port: number, host = "127.0.0.1", timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = "";
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) finish(reply.startsWith("+PONG"));
    });
    socket.once("end", () => finish(false));
  });
}
