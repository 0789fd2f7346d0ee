import { readFileSync } from "node:fs";
import { descriptorSetPath } from "@argus/proto";
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer, loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import type { Authenticator } from "./auth.js";
import { type Admission, type CallAccess, type MethodAccess, secureService } from "./grpc-auth.js";
import { type GrpcTlsOptions, grpcServerCredentials } from "./grpc-tls.js";
import type { Logger } from "./logger.js";

export interface GrpcServiceRegistration {
  /** Fully qualified name, e.g. `argus.v1.AlertService` (health status is reported under it). */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  /** The role each method needs: the single place where access to this service is decided. */
  methodRoles: Readonly<Record<string, MethodAccess>>;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  services: GrpcServiceRegistration[];
  authenticator: Authenticator;
  reflection: boolean;
  logger: Logger;
  /** TLS, optionally with client certificates; plaintext without it. */
  tls?: GrpcTlsOptions | undefined;
  /** Health answers without credentials (the default); false: only to a principal with any role. */
  anonymousHealth?: boolean | undefined;
  /** After authorization: rate limits and deadline rules (see grpc-admission.ts). */
  admit?: Admission | undefined;
  /** The tenant whose principals may call methods that act on the whole deployment. */
  platformTenant?: string | undefined;
}

export interface RunningGrpcServer {
  port: number;
  health: HealthImplementation;
  stop(): Promise<void>;
}

const maxMessageBytes = 4 * 1024 * 1024;

type HealthServer = Parameters<HealthImplementation["addToServer"]>[0];

const healthServiceName = "grpc.health.v1.Health";

/**
 * A gRPC server with every service behind authentication and a role table, plus the standard
 * health service and server reflection (both anonymous, so probes and `grpcurl list` work, unless
 * `anonymousHealth` is false; reflection is turned off with `reflection: false`). Over TLS, a
 * client certificate that verifies and is mapped to a principal authenticates its calls.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new Server({
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": maxMessageBytes,
  });
  const credentials = grpcServerCredentials(options.tls);
  const access: CallAccess = {
    authenticator: options.authenticator,
    certificates: options.tls?.clientPrincipals,
    admit: options.admit,
    platformTenant: options.platformTenant,
  };
  const statusMap: Record<string, "SERVING"> = { "": "SERVING" };
  for (const service of options.services) {
    server.addService(
      service.definition,
      secureService(service.name, service.definition, service.implementation, service.methodRoles, access),
    );
    statusMap[service.name] = "SERVING";
  }
  const health = new HealthImplementation(statusMap);
  const healthTarget: HealthServer =
    options.anonymousHealth === false
      ? {
          addService: (definition, implementation) => {
            const serviceDefinition = definition as unknown as ServiceDefinition;
            const anyRole: Record<string, MethodAccess> = {};
            for (const method of Object.keys(serviceDefinition)) anyRole[method] = "any";
            server.addService(
              serviceDefinition,
              secureService(
                healthServiceName,
                serviceDefinition,
                implementation as UntypedServiceImplementation,
                anyRole,
                access,
              ),
            );
          },
        }
      : server;
  health.addToServer(healthTarget);
  if (options.reflection) {
    const argus = loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath));
    const healthDefinition = loadSync(healthProtoPath);
    new ReflectionService({ ...argus, ...healthDefinition }).addToServer(server);
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  options.logger.info(
    {
      port,
      services: options.services.map((s) => s.name),
      tls: options.tls ? { clientCertificate: options.tls.clientCertificate } : false,
      anonymousHealth: options.anonymousHealth !== false,
    },
    "gRPC server listening",
  );
  return {
    port,
    health,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const name of Object.keys(statusMap)) health.setStatus(name, "NOT_SERVING");
        const force = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
