import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import type { Dispatcher } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardedAgent, refusalOf } from "../src/adapters/egress.js";
import { sendWebhook } from "../src/adapters/webhook-sender.js";

const signingSecrets = [`whsec_${randomBytes(32).toString("base64")}`];
const notification = { id: "msg_test", body: "{}" };

/** A dispatcher that fails the test if anything tries to connect through it. */
const noConnections = (): Dispatcher & { used: number } => {
  const fake = {
    used: 0,
    dispatch() {
      fake.used++;
      throw new Error("a connection was attempted");
    },
  };
  return fake as unknown as Dispatcher & { used: number };
};

describe("webhook egress safety", () => {
  let server: Server;
  let v6: Server | undefined;
  let connections = 0;
  let port: number;
  let port6: number | undefined;

  beforeAll(async () => {
    const onConnection = (socket: import("node:net").Socket) => {
      connections++;
      socket.end("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    };
    server = createServer(onConnection);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    // Some hosts have no IPv6 loopback: the [::1] case is then skipped, the others still run.
    const ipv6 = createServer(onConnection);
    v6 = ipv6;
    port6 = await new Promise<number | undefined>((resolve) => {
      const giveUp = setTimeout(() => resolve(undefined), 2_000);
      ipv6.once("error", () => {
        clearTimeout(giveUp);
        resolve(undefined);
      });
      ipv6.listen(0, "::1", () => {
        clearTimeout(giveUp);
        resolve((ipv6.address() as AddressInfo).port);
      });
    });
  });

  afterAll(async () => {
    server.close();
    v6?.close();
  });

  it("classifies loopback, link-local (cloud metadata), private and IPv6 equivalents as refused", () => {
    for (const address of [
      "127.0.0.1",
      "169.254.169.254",
      "10.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "100.64.0.1",
      "::1",
      "fe80::1",
      "fc00::1",
      "::ffff:10.0.0.1",
      "0.0.0.0",
    ]) {
      expect(refusalOf(address, { allow: [] }), address).not.toBeNull();
    }
    expect(refusalOf("8.8.8.8", { allow: [] })).toBeNull();
    expect(refusalOf("2606:4700:4700::1111", { allow: [] })).toBeNull();
    expect(refusalOf("10.0.0.1", { allow: ["10.0.0.0/8"] })).toBeNull();
    expect(refusalOf("::ffff:10.0.0.1", { allow: ["10.0.0.0/8"] })).toBeNull();
  });

  it("refuses 169.254.169.254 and 10.0.0.1 before any connection is attempted", async () => {
    for (const url of ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1:8080/hook"]) {
      const dispatcher = noConnections();
      const outcome = await sendWebhook(
        { url, signingSecrets, timeoutMs: 1_000, egress: { allow: [] }, dispatcher },
        notification,
        {},
        new Date(),
      );
      expect(outcome.kind, url).toBe("refused");
      expect(dispatcher.used).toBe(0);
    }
  });

  it("refuses 127.0.0.1, [::1] and a name resolving to loopback without connecting, unless allowlisted", async () => {
    const targets = [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`];
    if (port6) targets.push(`http://[::1]:${port6}/hook`);
    const refusing = guardedAgent({ allow: [] }, 1_000);
    for (const url of targets) {
      const outcome = await sendWebhook(
        { url, signingSecrets, timeoutMs: 1_000, egress: { allow: [] }, dispatcher: refusing },
        notification,
        {},
        new Date(),
      );
      expect(outcome.kind, url).toBe("refused");
    }
    expect(connections).toBe(0);
    await refusing.close();

    const allow = ["127.0.0.1/32", "::1/128"];
    const allowing = guardedAgent({ allow }, 1_000);
    const outcome = await sendWebhook(
      {
        url: targets[0] as string,
        signingSecrets,
        timeoutMs: 2_000,
        egress: { allow },
        dispatcher: allowing,
      },
      notification,
      {},
      new Date(),
    );
    expect(outcome).toMatchObject({ kind: "response", status: 204 });
    expect(connections).toBe(1);
    await allowing.close();
  });
});
