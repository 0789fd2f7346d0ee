import { createServer, type Server } from "node:net";

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Ports the OS considers free right now. All sockets stay open until every port is known, so the
 * ports are distinct from each other; another process can still grab one before our server binds
 * it, which callers handle by retrying with fresh ports.
 */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(host));
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("expected a TCP address");
      return address.port;
    });
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error("no free port");
  return port;
}
