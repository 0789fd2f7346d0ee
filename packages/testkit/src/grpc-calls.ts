import { type ChannelCredentials, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";

/** gRPC status codes, for test packages that do not depend on @grpc/grpc-js themselves. */
export { status as grpcStatus };

/** Call metadata carrying an API key, as every Argus client sends it. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/** Call metadata without credentials. */
export function noCredentials(): Metadata {
  return new Metadata();
}

/** A generated client (e.g. `AlertServiceClient`) for a server on loopback, plaintext. */
export function localClient<C>(
  Client: new (address: string, channelCredentials: ChannelCredentials) => C,
  port: number,
): C {
  return new Client(`127.0.0.1:${port}`, credentials.createInsecure());
}

/** A generated client's unary call as a promise: `unary((cb) => client.listAlerts(req, meta, cb))`. */
export function unary<T>(
  call: (callback: (error: ServiceError | null, response: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    call((error, response) => (error ? reject(error) : resolve(response))),
  );
}

/** The error of a call expected to fail; fails the test when the call succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error("the call succeeded, expected it to fail");
}
