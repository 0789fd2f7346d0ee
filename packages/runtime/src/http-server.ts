import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.js";

export interface HttpServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Each dependency's reachability; the service is ready only when all are true. */
  readiness: () => Promise<Record<string, boolean>>;
  /**
   * What makes the process useless however long it waits (e.g. a consumer that stopped for good),
   * by name, with the reason; empty while it works. Anything here fails `/healthz`, so Kubernetes
   * restarts the process.
   */
  liveness?: () => Record<string, string>;
  logger: Logger;
}

export interface RunningHttpServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * `/healthz` (the process does its work: 503 naming what stopped for good), `/readyz` (its
 * dependencies answer) and `/metrics` (Prometheus).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET") {
      response.writeHead(405).end();
      return;
    }
    if (path === "/healthz") {
      const failures = options.liveness?.() ?? {};
      if (Object.keys(failures).length === 0)
        response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      else
        response
          .writeHead(503, { "content-type": "application/json" })
          .end(`${JSON.stringify({ live: false, failures })}\n`);
    } else if (path === "/readyz") {
      options.readiness().then(
        (checks) => {
          const ready = Object.values(checks).every(Boolean);
          response
            .writeHead(ready ? 200 : 503, { "content-type": "application/json" })
            .end(`${JSON.stringify({ ready, checks })}\n`);
        },
        (error: Error) => {
          response
            .writeHead(503, { "content-type": "application/json" })
            .end(`${JSON.stringify({ ready: false, error: error.message })}\n`);
        },
      );
    } else if (path === "/metrics") {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": options.registry.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, "HTTP health and metrics listening");
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
