// The images' HEALTHCHECK (dist/healthcheck.mjs): GET /healthz on the service's HTTP port with node
// itself, as there is no curl in the image. Exit 0 healthy, 1 not.
const port = process.env.HTTP_PORT;
const listenHost = process.env.HTTP_HOST;
const host = !listenHost || listenHost === "0.0.0.0" || listenHost === "::" ? "127.0.0.1" : listenHost;
const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/healthz`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  process.stdout.write(`${url}: ${response.status}\n`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  process.stdout.write(`${url}: ${(error as Error).message}\n`);
  process.exit(1);
}
