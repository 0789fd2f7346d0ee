import { Metadata, type ServiceError } from "@grpc/grpc-js";

/** Call metadata carrying an API key, as every Argus client sends it. */
export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/** A generated client's unary call as a promise: `unary((cb) => client.listAlerts(req, meta, cb))`. */
export function unary<T>(
  call: (callback: (error: ServiceError | null, response: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    call((error, response) => (error ? reject(error) : resolve(response))),
  );
}
