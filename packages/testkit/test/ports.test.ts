import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePorts } from "../src/free-port.js";
import { newClusterId, renderProperties, scramArgument, serverProperties } from "../src/kafka-config.js";
import { redisArgs } from "../src/local-redis.js";
import { tailText } from "../src/log-tail.js";
import { findOnPath, missingCommandsMessage } from "../src/preflight.js";
import { pingRedis } from "../src/redis-ping.js";
import { planStack } from "../src/stack.js";

describe("freePorts", () => {
  it("returns distinct ports that can be bound right away", async () => {
    const ports = await freePorts(3);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("server.properties", () => {
  const properties = serverProperties({
    host: "127.0.0.1",
    port: 41001,
    controllerPort: 41002,
    dataDir: "/d",
  });

  it("describes a combined KRaft node advertising the host port", () => {
    expect(properties).toMatchObject({
      "process.roles": "broker,controller",
      "controller.quorum.voters": "1@127.0.0.1:41002",
      listeners: "PLAINTEXT://127.0.0.1:41001,CONTROLLER://127.0.0.1:41002",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:41001",
      "log.dirs": "/d",
      "offsets.topic.replication.factor": "1",
      "auto.create.topics.enable": "true",
      "num.partitions": "3",
    });
  });

  it("renders one key=value per line, escaping backslashes for java.util.Properties", () => {
    const text = renderProperties({ "log.dirs": "C:\\tmp\\kafka", "node.id": "1" });
    expect(text.split("\n")).toContain("log.dirs=C:\\\\tmp\\\\kafka");
    expect(text.split("\n")).toContain("node.id=1");
    expect(text.endsWith("\n")).toBe(true);
  });
});

describe("server.properties with a secure listener", () => {
  const node = { host: "127.0.0.1", port: 41001, controllerPort: 41002, dataDir: "/d" };

  it("adds a SASL_SSL listener taking SCRAM, wanting client certificates when given a CA", () => {
    const properties = serverProperties({
      ...node,
      secure: {
        port: 41003,
        tls: { keystoreFile: "/k.p12", keystorePassword: "pw", clientCaFile: "/ca.crt" },
      },
    });
    expect(properties).toMatchObject({
      listeners: "PLAINTEXT://127.0.0.1:41001,CONTROLLER://127.0.0.1:41002,SECURE://127.0.0.1:41003",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:41001,SECURE://127.0.0.1:41003",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURE:SASL_SSL",
      "inter.broker.listener.name": "PLAINTEXT",
      "listener.name.secure.sasl.enabled.mechanisms": "SCRAM-SHA-512,SCRAM-SHA-256",
      "listener.name.secure.ssl.keystore.location": "/k.p12",
      "listener.name.secure.ssl.client.auth": "required",
      "listener.name.secure.ssl.truststore.location": "/ca.crt",
    });
  });

  it("is SASL_PLAINTEXT without TLS", () => {
    const properties = serverProperties({ ...node, secure: { port: 41003 } });
    expect(properties["listener.security.protocol.map"]).toBe(
      "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURE:SASL_PLAINTEXT",
    );
    expect(properties["listener.name.secure.ssl.keystore.location"]).toBeUndefined();
  });

  it("formats SCRAM users with a salted password, never the password itself", () => {
    const argument = scramArgument("SCRAM-SHA-512", "argus", "hunter2-hunter2", {
      salt: Buffer.alloc(16, 1),
    });
    expect(argument).toMatch(
      /^SCRAM-SHA-512=\[name=argus,iterations=4096,salt="AQEBAQEBAQEBAQEBAQEBAQ==",saltedpassword="[A-Za-z0-9+/]{86}=="\]$/,
    );
    expect(argument).not.toContain("hunter2");
  });
});

describe("newClusterId", () => {
  it("is 22 URL-safe base64 characters", () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("never starts with '-', which the storage tool would parse as an option", () => {
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x01)]; // 0xfb… encodes as "-…"
    expect(Buffer.alloc(16, 0xfb).toString("base64url").startsWith("-")).toBe(true);
    expect(newClusterId(() => draws.shift() ?? Buffer.alloc(16))).toBe(
      Buffer.alloc(16, 0x01).toString("base64url"),
    );
  });
});

describe("preflight", () => {
  const dir = mkdtempSync(join(tmpdir(), "argus-preflight-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds executables on PATH and ignores non-executable files", () => {
    writeFileSync(join(dir, "tool"), "#!/bin/sh\n");
    chmodSync(join(dir, "tool"), 0o755);
    writeFileSync(join(dir, "data"), "");
    expect(findOnPath("tool", `/nonexistent:${dir}`)).toBe(join(dir, "tool"));
    expect(findOnPath("data", dir)).toBeUndefined();
    expect(findOnPath("tool", "")).toBeUndefined();
  });

  it("names the missing commands, how to install them and the alternatives", () => {
    const message = missingCommandsMessage(["java", "mvn"]);
    expect(message).toContain("`java`, `mvn`");
    expect(message).toContain("apt-get install -y openjdk-17-jre-headless maven");
    expect(message).toContain("KAFKA_BROKERS=");
    expect(message).toContain("REDIS_URL=");
    expect(message).toContain("docker compose up");
    expect(missingCommandsMessage(["redis-server"])).toContain("apt-get install -y redis-server");
  });
});

describe("planStack", () => {
  it("uses external servers only when both are given", () => {
    expect(planStack({ KAFKA_BROKERS: "a:9092, b:9092", REDIS_URL: "redis://r:6379" })).toEqual({
      mode: "external",
      kafkaBrokers: ["a:9092", "b:9092"],
      redisUrl: "redis://r:6379",
    });
  });

  it("starts whatever is missing, locally unless containers are asked for", () => {
    expect(planStack({ REDIS_URL: "redis://r:6379" })).toEqual({ mode: "local", redisUrl: "redis://r:6379" });
    expect(planStack({ KAFKA_BROKERS: "a:9092", ARGUS_TESTKIT: "containers" })).toEqual({
      mode: "containers",
      kafkaBrokers: ["a:9092"],
    });
    expect(planStack({ KAFKA_BROKERS: " , " })).toEqual({ mode: "local" });
  });
});

describe("redis", () => {
  it("runs without persistence, bound to loopback", () => {
    const args = redisArgs(6390, "/d");
    expect(args.join(" ")).toContain("--port 6390 --bind 127.0.0.1");
    expect(args[args.indexOf("--save") + 1]).toBe("");
    expect(args[args.indexOf("--appendonly") + 1]).toBe("no");
  });

  it("pingRedis accepts +PONG and nothing else", async () => {
    const replies = ["+PONG\r\n", "-LOADING Redis is loading the dataset in memory\r\n"];
    const server = createServer((socket) => socket.once("data", () => socket.end(replies.shift() ?? "")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await pingRedis(port)).toBe(true);
      expect(await pingRedis(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await pingRedis(port)).toBe(false);
  });
});

describe("tailText", () => {
  it("keeps the last lines", () => {
    expect(tailText("a\nb\nc\n", 2)).toBe("b\nc");
    expect(tailText("a", 5)).toBe("a");
  });
});
