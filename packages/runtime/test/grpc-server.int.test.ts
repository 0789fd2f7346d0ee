import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Alert, AlertServiceService } from "@argus/proto";
import { makePrincipals, rejection } from "@argus/testkit";
import {
  type CallOptions,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import {
  loadFileDescriptorSetFromBuffer,
  loadSync,
  type MethodDefinition,
  type PackageDefinition,
} from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Authenticator, apiKeyAuthenticator, sha256Hex } from "../src/auth.js";
import { principalOf } from "../src/grpc-auth.js";
import { type RunningGrpcServer, startGrpcServer } from "../src/grpc-server.js";
import { createLogger } from "../src/logger.js";

// Everything below talks to the server the way a tool without Argus' generated code does (grpcurl,
// a Go or Python client): raw method paths, with serializers built from .proto files or from the
// descriptors that reflection returns.

const require = createRequire(import.meta.url);
const reflectionProtoDir = join(dirname(require.resolve("@grpc/reflection")), "..", "proto");
const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

type AnyMethod = MethodDefinition<object, Record<string, unknown>>;

function method(definition: PackageDefinition, service: string, name: string): AnyMethod {
  const found = (definition[service] as Record<string, AnyMethod> | undefined)?.[name];
  if (!found) throw new Error(`${service}/${name} is not in the package definition`);
  return found;
}

const reflectionV1 = loadSync(join(reflectionProtoDir, "grpc/reflection/v1/reflection.proto"), loaderOptions);
const reflectionV1alpha = loadSync(
  join(reflectionProtoDir, "grpc/reflection/v1alpha/reflection.proto"),
  loaderOptions,
);
const healthCheck = method(loadSync(healthProtoPath, loaderOptions), "grpc.health.v1.Health", "Check");

function unary(
  client: Client,
  rpc: AnyMethod,
  request: object,
  token?: string,
): Promise<Record<string, unknown>> {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  const options: CallOptions = { deadline: Date.now() + 10_000 };
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      request,
      metadata,
      options,
      (error, response) => (error ? reject(error) : resolve(response as Record<string, unknown>)),
    );
  });
}

/** One request on the reflection stream (v1 or v1alpha), as grpcurl sends it. */
function reflect(
  client: Client,
  definition: PackageDefinition,
  service: string,
  request: object,
): Promise<Record<string, unknown>> {
  const rpc = method(definition, service, "ServerReflectionInfo");
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      rpc.path,
      rpc.requestSerialize,
      rpc.responseDeserialize,
      new Metadata(),
      {
        deadline: Date.now() + 10_000,
      },
    );
    call.on("data", (response: Record<string, unknown>) => {
      resolve(response);
      call.end();
    });
    call.on("error", reject);
    call.write(request);
  });
}

function listedServices(response: Record<string, unknown>): string[] {
  const list = response.list_services_response as { service: { name: string }[] } | undefined;
  if (!list) throw new Error(`no list_services_response in ${JSON.stringify(response)}`);
  return list.service.map((service) => service.name).sort();
}

/** Wraps FileDescriptorProto bytes into a FileDescriptorSet (field 1, repeated, length-delimited). */
function fileDescriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const length: number[] = [];
    let n = file.length;
    while (n > 0x7f) {
      length.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    length.push(n);
    parts.push(Buffer.from([0x0a, ...length]), file);
  }
  return Buffer.concat(parts);
}

describe("gRPC server with auth, health and reflection (raw grpc-js client)", () => {
  const principals = makePrincipals("acme");
  const adminToken = "admin-token-0123456789abcdefghijklmnop";
  const authenticator = apiKeyAuthenticator(
    JSON.stringify([
      ...Object.values(principals).map(({ principal, tenant, roles, token }) => ({
        principal,
        tenant,
        roles,
        sha256: sha256Hex(token),
      })),
      { principal: "root@acme", tenant: "acme", roles: ["admin"], sha256: sha256Hex(adminToken) },
    ]),
  );
  const logger = createLogger("grpc-server-test", "silent");
  const implementation: UntypedServiceImplementation = {
    listAlerts: (call: object, callback: (error: null, response: unknown) => void) => {
      const caller = principalOf(call);
      callback(null, {
        // fromPartial: every field the message gains later gets its default, as a real handler's would.
        alerts: [
          Alert.fromPartial({
            fingerprint: "fp-1",
            state: 1,
            labels: { caller: caller.id },
            modelId: "credit-risk",
            summary: `seen by ${caller.id} of ${caller.tenant}`,
            findingCount: 3,
          }),
        ],
        nextPageToken: "",
      });
    },
    // AlertService has more methods than this test calls: they exist, for admins, and are not implemented.
    ...Object.fromEntries(
      Object.keys(AlertServiceService)
        .filter((name) => name !== "listAlerts")
        .map((name) => [
          name,
          (_call: object, callback: (error: ServiceError) => void) =>
            callback(
              Object.assign(new Error("not in this test"), { code: status.UNIMPLEMENTED }) as ServiceError,
            ),
        ]),
    ),
  };
  const methodRoles = Object.fromEntries(
    Object.keys(AlertServiceService).map(
      (name) => [name, name === "listAlerts" ? "operator" : "admin"] as const,
    ),
  );
  let server: RunningGrpcServer;
  let client: Client;

  beforeAll(async () => {
    server = await startGrpcServer({
      host: "127.0.0.1",
      port: 0,
      services: [
        {
          name: "argus.v1.AlertService",
          definition: AlertServiceService,
          implementation,
          methodRoles,
        },
      ],
      authenticator,
      reflection: true,
      logger,
    });
    client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it("binds an ephemeral port when asked for port 0", () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it("lists the Argus service and the health service through reflection v1, anonymously", async () => {
    const response = await reflect(client, reflectionV1, "grpc.reflection.v1.ServerReflection", {
      list_services: "",
    });
    const services = listedServices(response);
    expect(services).toContain("argus.v1.AlertService");
    expect(services).toContain("grpc.health.v1.Health");
  });

  it("answers the older v1alpha reflection that some grpcurl versions use", async () => {
    const response = await reflect(client, reflectionV1alpha, "grpc.reflection.v1alpha.ServerReflection", {
      list_services: "",
    });
    expect(listedServices(response)).toEqual(
      expect.arrayContaining(["argus.v1.AlertService", "grpc.health.v1.Health"]),
    );
  });

  it("serves descriptors through reflection that are enough to call the service", async () => {
    const response = await reflect(client, reflectionV1, "grpc.reflection.v1.ServerReflection", {
      file_containing_symbol: "argus.v1.AlertService",
    });
    const files = (response.file_descriptor_response as { file_descriptor_proto: Buffer[] } | undefined)
      ?.file_descriptor_proto;
    expect(files?.length).toBeGreaterThan(0);
    const reflected = loadFileDescriptorSetFromBuffer(fileDescriptorSet(files ?? []), loaderOptions);
    const listAlerts = method(reflected, "argus.v1.AlertService", "ListAlerts");
    expect(listAlerts.path).toBe("/argus.v1.AlertService/ListAlerts");

    const reply = await unary(client, listAlerts, { page_size: 10 }, principals.operator.token);
    const alerts = reply.alerts as {
      fingerprint: string;
      state: string;
      summary: string;
      finding_count: string;
    }[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual(
      expect.objectContaining({
        fingerprint: "fp-1",
        state: "ALERT_STATE_FIRING",
        summary: "seen by operator@acme of acme",
        finding_count: "3",
      }),
    );
  });

  it("reports SERVING for the server and for each registered service, without credentials", async () => {
    expect(await unary(client, healthCheck, { service: "" })).toEqual({ status: "SERVING" });
    expect(await unary(client, healthCheck, { service: "argus.v1.AlertService" })).toEqual({
      status: "SERVING",
    });
  });

  it("answers NOT_FOUND for a service it does not serve, and follows status changes", async () => {
    const unknown = await rejection(unary(client, healthCheck, { service: "argus.v1.NoSuchService" }));
    expect(unknown.code).toBe(status.NOT_FOUND);
    server.health.setStatus("argus.v1.AlertService", "NOT_SERVING");
    try {
      expect(await unary(client, healthCheck, { service: "argus.v1.AlertService" })).toEqual({
        status: "NOT_SERVING",
      });
    } finally {
      server.health.setStatus("argus.v1.AlertService", "SERVING");
    }
  });

  describe("AlertService/ListAlerts, which needs the operator role", () => {
    // Built from the .proto descriptors the server also reflects, not from the generated TS stubs.
    let listAlerts: AnyMethod;
    beforeAll(async () => {
      const { descriptorSetPath } = await import("@argus/proto");
      const { readFileSync } = await import("node:fs");
      listAlerts = method(
        loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath), loaderOptions),
        "argus.v1.AlertService",
        "ListAlerts",
      );
    });

    it("refuses a call without a token as UNAUTHENTICATED", async () => {
      const error = await rejection(unary(client, listAlerts, {}));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toBe("missing or invalid credentials");
    });

    it("refuses an unknown token as UNAUTHENTICATED", async () => {
      const error = await rejection(unary(client, listAlerts, {}, `${principals.operator.token}x`));
      expect(error.code).toBe(status.UNAUTHENTICATED);
    });

    it("refuses a known principal without the role as PERMISSION_DENIED, naming who and what", async () => {
      const viewer = await rejection(unary(client, listAlerts, {}, principals.viewer.token));
      expect(viewer.code).toBe(status.PERMISSION_DENIED);
      expect(viewer.details).toBe("principal viewer@acme lacks role operator");
      const ingest = await rejection(unary(client, listAlerts, {}, principals.ingest.token));
      expect(ingest.code).toBe(status.PERMISSION_DENIED);
    });

    it("serves the call for the operator and for an admin, with the caller known to the handler", async () => {
      const asOperator = await unary(client, listAlerts, {}, principals.operator.token);
      expect((asOperator.alerts as { summary: string }[])[0]?.summary).toBe("seen by operator@acme of acme");
      const asAdmin = await unary(client, listAlerts, {}, adminToken);
      expect((asAdmin.alerts as { summary: string }[])[0]?.summary).toBe("seen by root@acme of acme");
    });
  });

  it("refuses to start a service whose role table misses a method, naming the method", async () => {
    await expect(
      startGrpcServer({
        host: "127.0.0.1",
        port: 0,
        services: [
          {
            name: "argus.v1.AlertService",
            definition: AlertServiceService,
            implementation,
            // Keyed by the proto name instead of the method's name: listAlerts has no decision.
            methodRoles: { ListAlerts: "viewer" },
          },
        ],
        authenticator,
        reflection: false,
        logger,
      }),
    ).rejects.toThrow("argus.v1.AlertService.listAlerts has no role in its role table");
  });

  it("refuses to start a service whose implementation misses a method", async () => {
    await expect(
      startGrpcServer({
        host: "127.0.0.1",
        port: 0,
        services: [
          {
            name: "argus.v1.AlertService",
            definition: AlertServiceService,
            implementation: {},
            methodRoles: { listAlerts: "viewer" },
          },
        ],
        authenticator,
        reflection: false,
        logger,
      }),
    ).rejects.toThrow("argus.v1.AlertService.listAlerts has no implementation");
  });
});

describe("asynchronous authentication (a verifier that takes its time)", () => {
  const logger = createLogger("grpc-server-async-auth-test", "silent");
  const slowMs = 150;
  let handled = 0;
  const authenticator: Authenticator = {
    authenticate: async (metadata) => {
      const token = metadata.get("authorization")[0];
      await new Promise((resolve) => setTimeout(resolve, slowMs));
      if (token === "Bearer throw") throw new Error("verifier bug");
      return token === "Bearer slow-operator"
        ? { id: "slow@acme", tenant: "acme", roles: ["operator"] }
        : null;
    },
  };
  const implementation: UntypedServiceImplementation = Object.fromEntries(
    Object.keys(AlertServiceService).map((name) => [
      name,
      (call: object, callback: (error: null, response: unknown) => void) => {
        handled += 1;
        // principalOf throws when the handler runs before authentication has finished.
        callback(null, { alerts: [], nextPageToken: principalOf(call).id });
      },
    ]),
  );
  let server: RunningGrpcServer;
  let client: Client;
  let listAlerts: AnyMethod;

  beforeAll(async () => {
    const { descriptorSetPath } = await import("@argus/proto");
    const { readFileSync } = await import("node:fs");
    listAlerts = method(
      loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath), loaderOptions),
      "argus.v1.AlertService",
      "ListAlerts",
    );
    server = await startGrpcServer({
      host: "127.0.0.1",
      port: 0,
      services: [
        {
          name: "argus.v1.AlertService",
          definition: AlertServiceService,
          implementation,
          methodRoles: Object.fromEntries(
            Object.keys(AlertServiceService).map((name) => [name, "viewer"] as const),
          ),
        },
      ],
      authenticator,
      reflection: false,
      logger,
    });
    client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it("runs the handler only once the principal is known", async () => {
    const reply = await unary(client, listAlerts, {}, "slow-operator");
    expect(reply.next_page_token).toBe("slow@acme");
  });

  it("refuses as UNAUTHENTICATED once the verifier has said no, without running the handler", async () => {
    const before = handled;
    expect((await rejection(unary(client, listAlerts, {}, "wrong"))).code).toBe(status.UNAUTHENTICATED);
    expect(handled).toBe(before);
  });

  it("never runs the handler of a call that ended while it was being authenticated", async () => {
    const before = handled;
    const metadata = new Metadata();
    metadata.set("authorization", "Bearer slow-operator");
    const error = await new Promise<ServiceError>((resolve) => {
      client.makeUnaryRequest(
        listAlerts.path,
        listAlerts.requestSerialize,
        listAlerts.responseDeserialize,
        {},
        metadata,
        { deadline: Date.now() + slowMs / 3 },
        (callError) => resolve(callError as ServiceError),
      );
    });
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    await new Promise((resolve) => setTimeout(resolve, slowMs * 2));
    expect(handled).toBe(before);
  });

  it("fails closed with INTERNAL, without details, when the verifier throws", async () => {
    const error = await rejection(unary(client, listAlerts, {}, "throw"));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe("authentication failed");
  });
});

describe("deployment-wide methods (platform:<role>): only for the platform tenant's principals", () => {
  const logger = createLogger("grpc-server-platform-test", "silent");
  const authenticator: Authenticator = {
    authenticate: async (metadata) => {
      const token = String(metadata.get("authorization")[0] ?? "");
      const [, tenant] = /^Bearer admin-of-(\w+)$/.exec(token) ?? [];
      return tenant ? { id: `admin@${tenant}`, tenant, roles: ["admin"] } : null;
    },
  };
  const implementation: UntypedServiceImplementation = Object.fromEntries(
    Object.keys(AlertServiceService).map((name) => [
      name,
      (call: object, callback: (error: null, response: unknown) => void) =>
        callback(null, { alerts: [], nextPageToken: principalOf(call).id }),
    ]),
  );
  const servers: RunningGrpcServer[] = [];
  const clients: Client[] = [];
  let listAlerts: AnyMethod;

  /** A server whose every AlertService method needs admin of the platform tenant `platformTenant`. */
  async function serve(platformTenant: string | undefined): Promise<Client> {
    const server = await startGrpcServer({
      host: "127.0.0.1",
      port: 0,
      services: [
        {
          name: "argus.v1.AlertService",
          definition: AlertServiceService,
          implementation,
          methodRoles: Object.fromEntries(
            Object.keys(AlertServiceService).map((name) => [name, "platform:admin"] as const),
          ),
        },
      ],
      authenticator,
      reflection: false,
      logger,
      platformTenant,
    });
    servers.push(server);
    const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    const { descriptorSetPath } = await import("@argus/proto");
    const { readFileSync } = await import("node:fs");
    listAlerts = method(
      loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath), loaderOptions),
      "argus.v1.AlertService",
      "ListAlerts",
    );
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(servers.map((server) => server.stop()));
  });

  it("serves the platform tenant's admin, refuses another tenant's admin, and everyone when no platform tenant is set", async () => {
    const withPlatform = await serve("ops");
    expect((await unary(withPlatform, listAlerts, {}, "admin-of-ops")).next_page_token).toBe("admin@ops");
    const tenantAdmin = await rejection(unary(withPlatform, listAlerts, {}, "admin-of-acme"));
    expect(tenantAdmin.code).toBe(status.PERMISSION_DENIED);
    expect(tenantAdmin.details).toMatch(/lacks role admin in the platform tenant/);

    const withoutPlatform = await serve(undefined);
    expect((await rejection(unary(withoutPlatform, listAlerts, {}, "admin-of-ops"))).code).toBe(
      status.PERMISSION_DENIED,
    );
  });
});
