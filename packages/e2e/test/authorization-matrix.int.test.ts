import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { alerterConfigSchema, alertServiceRoles, startAlerter } from "@argus/alerter";
import { anomalyConfigSchema, anomalyServiceRoles, startAnomalyDetector } from "@argus/anomaly-detector";
import {
  AlertServiceClient,
  AlertServiceService,
  AlertState,
  AnomalyServiceClient,
  AnomalyServiceService,
  AuditServiceClient,
  AuditServiceService,
  BaselineSource,
  DriftServiceClient,
  DriftServiceService,
  Finding,
  FindingKind,
  InferenceEvent,
  Severity,
  SilenceState,
} from "@argus/proto";
import {
  auditServiceRoles,
  loadConfig,
  type MethodAccess,
  type Role,
  type RunningService,
} from "@argus/runtime";
import {
  bearer,
  grpcStatus,
  isolatedServiceEnv,
  localClient,
  noCredentials,
  startWebhookReceiver,
  testProducer,
  uniqueNamespace,
  type WebhookReceiver,
} from "@argus/testkit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
// @argus/drift-detector is not (yet) a dependency of @argus/e2e: imported by path inside the workspace.
import {
  driftConfigSchema,
  driftServiceRoles,
  startDriftDetector,
} from "../../../services/drift-detector/src/index.js";

/*
 * The authorization matrix of every gRPC method of the alerter, the drift-detector and the
 * anomaly-detector (and the AuditService every one of them serves), generated from each service's
 * definition and role table: every method is called with no or a defective credential
 * (UNAUTHENTICATED), and by every role of the owning tenant "acme" and of another tenant "globex".
 * Each example below states the method's role, its own-tenant and its other-tenant outcome. A
 * method without a role in its service's role table, or without an example here, fails the test.
 */

const roles = ["viewer", "operator", "admin", "ingest"] as const satisfies readonly Role[];
type Tenant = "acme" | "globex";
type CodeName = keyof typeof grpcStatus;
type Metadata = ReturnType<typeof bearer>;

/** The tenant whose principals run the deployment (ARGUS_PLATFORM_TENANT of every service here). */
const platformTenant: Tenant = "acme";

/**
 * The documented role hierarchy: viewer < operator < admin; ingest is separate; admin grants all.
 * `platform:<role>` methods act on the whole deployment: that role, in the platform tenant only.
 */
function grants(held: Role, tenant: Tenant, required: MethodAccess): boolean {
  if (required.startsWith("platform:"))
    return tenant === platformTenant && grants(held, tenant, required.slice("platform:".length) as Role);
  return held === "admin" || held === required || (held === "operator" && required === "viewer");
}

// --- JWT (HS256) ------------------------------------------------------------------------------------

const jwt = {
  secret: randomBytes(48).toString("base64url"),
  issuer: "https://idp.argus.test/",
  audience: "argus-api",
};

/** A compact HS256 JWS (RFC 7515/7519), as any identity provider would mint it. */
function hs256(claims: Record<string, unknown>, secret: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`;
}

function tokenFor(
  tenant: Tenant,
  role: Role,
  overrides: Record<string, unknown> = {},
  secret = jwt.secret,
): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: `${role}@${tenant}`,
    tenant,
    roles: [role],
    iss: jwt.issuer,
    aud: jwt.audience,
    iat: now,
    nbf: now,
    exp: now + 3_600,
    ...overrides,
  };
  return hs256(claims, secret);
}

/** Credentials that must never get past authentication: each is an acme admin's token with one defect. */
const defects: Record<string, () => Metadata> = {
  "no credentials": () => noCredentials(),
  expired: () => bearer(tokenFor("acme", "admin", { exp: Math.floor(Date.now() / 1000) - 3_600 })),
  "wrong audience": () => bearer(tokenFor("acme", "admin", { aud: "another-api" })),
  "bad signature": () => bearer(tokenFor("acme", "admin", {}, randomBytes(48).toString("base64url"))),
  "wrong issuer": () => bearer(tokenFor("acme", "admin", { iss: "https://idp.evil.test/" })),
  "not yet valid": () => bearer(tokenFor("acme", "admin", { nbf: Math.floor(Date.now() / 1000) + 3_600 })),
};

// --- Calling any method of a definition --------------------------------------------------------------

interface MethodSpec {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestSerialize: (value: never) => Buffer;
  readonly responseDeserialize: (value: Buffer) => unknown;
}

type AnyClient = Pick<AlertServiceClient, "makeUnaryRequest" | "makeClientStreamRequest" | "close">;

interface Outcome {
  code: number;
  details: string;
  response?: unknown;
}

/** Calls `spec` with `payload` (a list of messages for a client stream); never throws for a status. */
function invoke(client: AnyClient, spec: MethodSpec, payload: unknown, metadata: Metadata): Promise<Outcome> {
  const serialize = spec.requestSerialize as (value: unknown) => Buffer;
  const deserialize = spec.responseDeserialize;
  const options = { deadline: Date.now() + 15_000 };
  return new Promise((resolve, reject) => {
    const done = (error: { code: number; details: string } | null, response?: unknown) =>
      resolve(
        error ? { code: error.code, details: error.details } : { code: grpcStatus.OK, details: "", response },
      );
    if (spec.responseStream) {
      reject(new Error(`${spec.path}: server-streaming methods need an invoker in this test`));
    } else if (spec.requestStream) {
      const call = client.makeClientStreamRequest(spec.path, serialize, deserialize, metadata, options, done);
      for (const message of payload as unknown[]) call.write(message);
      call.end();
    } else {
      client.makeUnaryRequest(spec.path, serialize, deserialize, payload, metadata, options, done);
    }
  });
}

const codeName = (code: number): CodeName => (grpcStatus[code] ?? `CODE_${code}`) as CodeName;

// --- The expectations table -------------------------------------------------------------------------

interface Scope {
  tenant: Tenant;
  role: Role;
}

interface Expectation<Res> {
  code: CodeName;
  /** Problems with an OK answer (e.g. another tenant's items in a list); empty when it is right. */
  check?: (response: Res, id: string, scope: Scope) => string[] | Promise<string[]>;
}

interface Example<Req, Res> {
  /** The role the method is documented to need (the service's role table must say the same). */
  role: MethodAccess;
  /** The acme id the call names, if any; state-changing calls give each caller its own target. */
  target?: (scope: Scope) => string;
  /** An id of the same shape that exists nowhere: another tenant must get the same answer for both. */
  unknownId?: () => string;
  /** A valid minimal request naming `id` (the target, or the unknown id). */
  request: (id: string, scope: Scope) => Req;
  own: Expectation<Res>;
  other: Expectation<Res>;
}

type RequestOf<M> = M extends { requestSerialize: (value: infer R) => Buffer } ? R : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer R } ? R : never;
type PayloadOf<M> = M extends { requestStream: true } ? RequestOf<M>[] : RequestOf<M>;
type ExampleTable<D> = { [K in keyof D]: Example<PayloadOf<D[K]>, ResponseOf<D[K]>> };

interface ServiceUnderTest {
  name: string;
  definition: Record<string, MethodSpec>;
  roleTable: Readonly<Record<string, MethodAccess>>;
  examples: Record<string, Example<unknown, unknown>>;
  client: () => AnyClient;
  /** acme's state after every other tenant's call: what changed that must not have. */
  afterOtherTenant: () => Promise<string[]>;
}

function serviceUnderTest<D extends Record<string, MethodSpec>>(
  name: string,
  definition: D,
  roleTable: Readonly<Record<string, MethodAccess>>,
  examples: ExampleTable<D>,
  client: () => AnyClient,
  afterOtherTenant: () => Promise<string[]>,
): ServiceUnderTest {
  return {
    name,
    definition,
    roleTable,
    examples: examples as unknown as Record<string, Example<unknown, unknown>>,
    client,
    afterOtherTenant,
  };
}

/** Why the matrix cannot be generated for a service: methods without a role or an example. */
function coverageProblems(service: ServiceUnderTest): string[] {
  const problems: string[] = [];
  for (const method of Object.keys(service.definition)) {
    const role = service.roleTable[method];
    const example = service.examples[method];
    if (!role) problems.push(`${service.name}.${method} has no role in the service's role table`);
    if (!example) problems.push(`${service.name}.${method} has no example request in this test`);
    if (role && example && role !== example.role)
      problems.push(`${service.name}.${method}: role table says ${role}, documented role is ${example.role}`);
  }
  for (const method of Object.keys(service.examples))
    if (!(method in service.definition))
      problems.push(`${service.name}.${method}: example of no such method`);
  return problems;
}

// --- Running the matrix -----------------------------------------------------------------------------

interface Cell {
  service: string;
  method: string;
  caller: string;
  expected: CodeName;
  actual: CodeName;
  details: string;
  problems: string[];
}

const cells: Cell[] = [];
const stateProblems: string[] = [];
const probes = { count: 0 };

const sameShape = (outcome: Outcome, id: string) =>
  JSON.stringify({
    code: codeName(outcome.code),
    details: outcome.details,
    response: outcome.response,
  }).replaceAll(id, "<id>");

async function runMatrix(
  service: ServiceUnderTest,
  tokens: Record<Tenant, Record<Role, string>>,
): Promise<Cell[]> {
  const client = service.client();
  const mine: Cell[] = [];
  const methodName = (method: string) =>
    (service.definition[method]?.path ?? method).split("/").at(-1) ?? method;
  const record = (cell: Cell) => {
    mine.push(cell);
    cells.push(cell);
  };
  const methods = Object.keys(service.definition);

  for (const method of methods) {
    const spec = service.definition[method] as MethodSpec;
    const example = service.examples[method] as Example<unknown, unknown>;
    for (const [defect, metadata] of Object.entries(defects)) {
      const scope: Scope = { tenant: "acme", role: "admin" };
      const outcome = await invoke(
        client,
        spec,
        example.request(example.target?.(scope) ?? "", scope),
        metadata(),
      );
      record({
        service: service.name,
        method: methodName(method),
        caller: defect,
        expected: "UNAUTHENTICATED",
        actual: codeName(outcome.code),
        details: outcome.details,
        problems: [],
      });
    }
  }

  // Every own-tenant call first, then every other-tenant call: the latter must find acme's state as
  // the former left it, and must leave it so (checked after them).
  for (const tenant of ["acme", "globex"] as const) {
    for (const method of methods) {
      const spec = service.definition[method] as MethodSpec;
      const example = service.examples[method] as Example<unknown, unknown>;
      const required = service.roleTable[method] as MethodAccess;
      for (const role of roles) {
        const scope: Scope = { tenant, role };
        const granted = grants(role, tenant, required);
        const expectation = tenant === "acme" ? example.own : example.other;
        const id = example.target?.(scope) ?? "";
        const metadata = bearer(tokens[tenant][role]);
        const outcome = await invoke(client, spec, example.request(id, scope), metadata);
        const cell: Cell = {
          service: service.name,
          method: methodName(method),
          caller: `${role}@${tenant}`,
          expected: granted ? expectation.code : "PERMISSION_DENIED",
          actual: codeName(outcome.code),
          details: outcome.details,
          problems: [],
        };
        if (granted && outcome.code === grpcStatus.OK && expectation.check)
          cell.problems.push(...(await expectation.check(outcome.response, id, scope)));
        if (granted && tenant === "globex" && example.target && example.unknownId) {
          // No existence leak: acme's id and an id that exists nowhere get the same answer.
          const unknown = example.unknownId();
          const probe = await invoke(client, spec, example.request(unknown, scope), metadata);
          probes.count++;
          if (sameShape(probe, unknown) !== sameShape(outcome, id))
            cell.problems.push(
              `answers differ for acme's id and an unknown id: ${sameShape(outcome, id)} vs ${sameShape(probe, unknown)}`,
            );
        }
        record(cell);
      }
    }
  }

  const afterwards = await service.afterOtherTenant();
  stateProblems.push(...afterwards.map((problem) => `${service.name}: ${problem}`));
  client.close();
  return mine;
}

function deviations(of: Cell[]): string[] {
  return of
    .filter((cell) => cell.expected !== cell.actual || cell.problems.length > 0)
    .map(
      (cell) =>
        `${cell.service}.${cell.method} as ${cell.caller}: expected ${cell.expected}, got ${cell.actual}` +
        `${cell.details ? ` ("${cell.details}")` : ""}${cell.problems.map((p) => `; ${p}`).join("")}`,
    );
}

const short: Partial<Record<CodeName, string>> = {
  OK: "OK",
  PERMISSION_DENIED: "PD",
  UNAUTHENTICATED: "UA",
  NOT_FOUND: "NF",
  FAILED_PRECONDITION: "FP",
  INVALID_ARGUMENT: "IA",
};

/** Per service: one row per method, one column per caller; then counts per status and the deviations. */
function summary(): string {
  const tenants = ["acme", "globex"] as const;
  const columns = [
    "bad cred",
    ...tenants.flatMap((t) => roles.map((r) => `${r.slice(0, 4)}@${t.slice(0, 2)}`)),
  ];
  const width = Math.max(...cells.map((cell) => `${cell.service}.${cell.method}`.length));
  const mark = (cell: Cell | undefined) =>
    cell
      ? `${short[cell.actual] ?? cell.actual}${cell.expected === cell.actual && cell.problems.length === 0 ? "" : "!"}`
      : "-";
  const lines = [[" ".repeat(width), ...columns.map((c) => c.padEnd(9))].join(" ")];
  for (const row of [...new Set(cells.map((cell) => `${cell.service}.${cell.method}`))]) {
    const of = cells.filter((cell) => `${cell.service}.${cell.method}` === row);
    const unauth = of.filter((cell) => !cell.caller.includes("@"));
    const unauthMark = unauth.every((cell) => cell.actual === "UNAUTHENTICATED")
      ? `UA×${unauth.length}`
      : unauth.map(mark).join(",");
    const byCaller = tenants.flatMap((t) => roles.map((r) => of.find((cell) => cell.caller === `${r}@${t}`)));
    lines.push(
      [row.padEnd(width), unauthMark.padEnd(9), ...byCaller.map((cell) => mark(cell).padEnd(9))].join(" "),
    );
  }
  const counts = new Map<string, number>();
  for (const cell of cells) counts.set(cell.actual, (counts.get(cell.actual) ?? 0) + 1);
  const found = [...deviations(cells), ...stateProblems];
  lines.push(
    `${cells.length} calls (+${probes.count} unknown-id probes): ` +
      `${[...counts].map(([code, n]) => `${code} ${n}`).join(", ")}`,
    `bad cred = ${Object.keys(defects).join(", ")}; "!" = not the documented outcome`,
    `${found.length} deviation(s)${found.map((line) => `\n  ${line}`).join("")}`,
  );
  return lines.join("\n");
}

// --- Helpers for seeding --------------------------------------------------------------------------

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what} not seen in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Calls as `token` and returns the response, or throws naming the status. */
async function ok<Res>(client: AnyClient, spec: MethodSpec, payload: unknown, token: string): Promise<Res> {
  const outcome = await invoke(client, spec, payload, bearer(token));
  if (outcome.code !== grpcStatus.OK)
    throw new Error(`${spec.path}: ${codeName(outcome.code)} ${outcome.details}`);
  return outcome.response as Res;
}

const hex = () => randomBytes(6).toString("hex");
const anomalySchemas = fileURLToPath(
  new URL("../../../services/anomaly-detector/config/models.example.yaml", import.meta.url),
);
const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;

function referenceCsv(rows: number): Buffer {
  const lines = ["x"];
  for (let i = 0; i < rows; i++) lines.push(String(Math.sin(i) * 2 + (i % 7) / 7));
  return Buffer.from(`${lines.join("\n")}\n`);
}

function inferenceEvent(
  modelId: string,
  clientId: string,
  eventTime: Date,
  features: InferenceEvent["features"],
): Buffer {
  return Buffer.from(
    InferenceEvent.encode(
      InferenceEvent.fromPartial({
        eventId: randomUUID(),
        modelId,
        modelVersion: "1",
        clientId,
        tenant: "acme",
        eventTime,
        features,
        output: { kind: { $case: "regression", value: 0.5 } },
      }),
    ).finish(),
  );
}

const creditRiskFeatures = (age: number): InferenceEvent["features"] => ({
  age: { kind: { $case: "number", value: age } },
  income: { kind: { $case: "number", value: 52_000 } },
  debt_ratio: { kind: { $case: "number", value: 0.4 } },
  employment: { kind: { $case: "category", value: "employed" } },
});

// --- The test -------------------------------------------------------------------------------------

describe("authorization matrix of every gRPC method (JWT, roles, tenants)", () => {
  const stack = { kafkaBrokers: inject("kafkaBrokers"), redisUrl: inject("redisUrl") };
  const namespaces = {
    alerter: uniqueNamespace("authz-alert"),
    drift: uniqueNamespace("authz-drift"),
    anomaly: uniqueNamespace("authz-anomaly"),
  };
  const tokens = {} as Record<Tenant, Record<Role, string>>;
  const running: RunningService[] = [];
  const receivers: WebhookReceiver[] = [];
  let producer: Awaited<ReturnType<typeof testProducer>>;
  let alerter: RunningService;
  let drift: RunningService;
  let anomaly: RunningService;

  /** What the seeding made for acme, by name. */
  const seeds = {
    alerts: { main: "authz-main", resolved: "authz-resolved" },
    deadFingerprints: ["authz-dead-1", "authz-dead-2", "authz-dead-3"],
    dead: { operator: "", admin: "", keep: "" },
    silences: { operator: "", admin: "", keep: "" },
    drift: { model: "authz-scorer", targets: { operator: "authz-target-op", admin: "authz-target-admin" } },
    anomaly: { client: "authz-client-acme", model: "credit-risk" },
  };

  const jwtEnv = {
    ARGUS_JWT_HS256_SECRET: jwt.secret,
    ARGUS_JWT_ISSUER: jwt.issuer,
    ARGUS_JWT_AUDIENCE: jwt.audience,
    ARGUS_JWT_CLOCK_SKEW_S: "5",
    GRPC_RATE_LIMIT_BURST: "100000",
    GRPC_RATE_LIMIT_PER_SECOND: "100000",
    ARGUS_PLATFORM_TENANT: platformTenant,
  };

  beforeAll(async () => {
    for (const tenant of ["acme", "globex"] as const) {
      tokens[tenant] = Object.fromEntries(roles.map((role) => [role, tokenFor(tenant, role)])) as Record<
        Role,
        string
      >;
    }
    const oncall = await startWebhookReceiver(webhookSecret);
    const refuser = await startWebhookReceiver(webhookSecret);
    refuser.failNext(Array.from({ length: 1_000 }, () => ({ status: 400 })));
    receivers.push(oncall, refuser);
    const routing = join(mkdtempSync(join(tmpdir(), "argus-authz-")), "alerter.yaml");
    writeFileSync(
      routing,
      `route:
  receiver: oncall
  group_by: ["..."]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
  routes:
    - matchers: ['sink="refuse"']
      receiver: refuser
receivers:
  - name: oncall
    webhook_configs:
      - url: ${oncall.url}
        payload: argus
        signing_secrets: ["${webhookSecret}"]
  - name: refuser
    webhook_configs:
      - url: ${refuser.url}
        payload: argus
        signing_secrets: ["${webhookSecret}"]
`,
    );
    [alerter, drift, anomaly] = await Promise.all([
      startAlerter(
        loadConfig(
          alerterConfigSchema,
          isolatedServiceEnv(stack, namespaces.alerter, {
            ...jwtEnv,
            ALERTER_CONFIG_FILE: routing,
            ALERTER_EGRESS_ALLOW: "127.0.0.1/32",
            ALERTER_POLL_MS: "50",
          }),
        ),
      ),
      startDriftDetector(
        loadConfig(
          driftConfigSchema,
          isolatedServiceEnv(stack, namespaces.drift, { ...jwtEnv, DRIFT_EVALUATE_INTERVAL_MS: "200" }),
        ),
      ),
      startAnomalyDetector(
        loadConfig(
          anomalyConfigSchema,
          isolatedServiceEnv(stack, namespaces.anomaly, {
            ...jwtEnv,
            ANOMALY_INPUT_SCHEMAS_FILE: anomalySchemas,
          }),
        ),
      ),
    ]);
    running.push(alerter, drift, anomaly);
    producer = await testProducer(stack.kafkaBrokers);
    await Promise.all([seedAlerter(), seedDrift(), seedAnomaly()]);
  });

  afterAll(async () => {
    if (cells.length > 0) console.log(`authorization matrix\n${summary()}`);
    await producer?.disconnect();
    await Promise.all(running.map((service) => service.stop()));
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  const acme = (role: Role) => tokens.acme[role];

  // --- AlertService ---

  const alertClient = () => localClient(AlertServiceClient, alerter.grpcPort);
  const A = AlertServiceService;

  async function seedAlerter(): Promise<void> {
    const finding = (fingerprint: string, labels: Record<string, string>) => ({
      key: fingerprint,
      value: Buffer.from(
        Finding.encode(
          Finding.fromPartial({
            findingId: `${fingerprint}-${hex()}`,
            kind: FindingKind.FINDING_KIND_DRIFT,
            severity: Severity.SEVERITY_WARNING,
            modelId: "authz",
            tenant: "acme",
            fingerprint,
            summary: `authorization matrix: ${fingerprint}`,
            labels: { alertname: "AuthzMatrix", model: "authz", ...labels },
            observedAt: new Date(),
            detector: "test",
          }),
        ).finish(),
      ),
    });
    await producer.send({
      topic: `${namespaces.alerter}.argus.findings.v1`,
      messages: [
        finding(seeds.alerts.main, { fingerprint: "main" }),
        finding(seeds.alerts.resolved, { fingerprint: "resolved" }),
        ...seeds.deadFingerprints.map((fingerprint) => finding(fingerprint, { sink: "refuse", fingerprint })),
      ],
    });
    const client = alertClient();
    try {
      await eventually(
        () =>
          ok<{ alerts: { fingerprint: string }[] }>(
            client,
            A.listAlerts,
            {
              state: AlertState.ALERT_STATE_UNSPECIFIED,
              modelId: "",
              pageSize: 0,
              pageToken: "",
              matchers: [],
            },
            acme("viewer"),
          ),
        ({ alerts }) => alerts.length >= 2 + seeds.deadFingerprints.length,
        60_000,
        "acme's alerts",
      );
      await ok(client, A.resolve, { fingerprint: seeds.alerts.resolved, note: "seed" }, acme("operator"));
      const { deadLetters } = await eventually(
        () =>
          ok<{ deadLetters: { id: string }[] }>(
            client,
            A.listDeadLetters,
            { pageSize: 0, pageToken: "" },
            acme("viewer"),
          ),
        (response) => response.deadLetters.length >= seeds.deadFingerprints.length,
        60_000,
        "acme's dead letters",
      );
      [seeds.dead.operator, seeds.dead.admin, seeds.dead.keep] = deadLetters.map((dead) => dead.id) as [
        string,
        string,
        string,
      ];
      for (const key of ["operator", "admin", "keep"] as const) {
        const { silence } = await ok<{ silence: { id: string } }>(
          client,
          A.createSilence,
          {
            matchers: [`alertname="AuthzSeed-${key}"`],
            startsAt: undefined,
            endsAt: new Date(Date.now() + 3_600_000),
            comment: `seed ${key}`,
          },
          acme("operator"),
        );
        seeds.silences[key] = silence.id;
      }
    } finally {
      client.close();
    }
  }

  /** Operator and admin of acme each act on their own target; every other caller names the kept one. */
  const perRole = (targets: { operator: string; admin: string; keep: string }) => (scope: Scope) =>
    scope.tenant === "acme" && (scope.role === "operator" || scope.role === "admin")
      ? targets[scope.role]
      : targets.keep;

  const noneOf = (what: string, acmeIds: () => string[], found: string[]) => {
    const leaked = found.filter((id) => acmeIds().includes(id));
    return leaked.length > 0 ? [`${what} of acme listed to another tenant: ${leaked.join(", ")}`] : [];
  };
  const includes = (what: string, wanted: string, found: string[]) =>
    found.includes(wanted) ? [] : [`${what} ${wanted} missing from the owner's list (${found.join(", ")})`];

  const acmeAlerts = () => [seeds.alerts.main, seeds.alerts.resolved, ...seeds.deadFingerprints];
  const unknownFingerprint = () => `authz-unknown-${hex()}`;
  const alertExamples: ExampleTable<typeof AlertServiceService> = {
    listAlerts: {
      role: "viewer",
      request: () => ({
        state: AlertState.ALERT_STATE_UNSPECIFIED,
        modelId: "",
        pageSize: 0,
        pageToken: "",
        matchers: [],
      }),
      own: {
        code: "OK",
        check: (r) =>
          includes(
            "alert",
            seeds.alerts.main,
            r.alerts.map((a) => a.fingerprint),
          ),
      },
      other: {
        code: "OK",
        check: (r) =>
          noneOf(
            "alerts",
            acmeAlerts,
            r.alerts.map((a) => a.fingerprint),
          ),
      },
    },
    getAlert: {
      role: "viewer",
      target: () => seeds.alerts.main,
      unknownId: unknownFingerprint,
      request: (fingerprint) => ({ fingerprint }),
      own: {
        code: "OK",
        check: (r, id) => (r.alert?.fingerprint === id ? [] : [`got ${r.alert?.fingerprint}`]),
      },
      other: { code: "NOT_FOUND" },
    },
    acknowledge: {
      role: "operator",
      target: () => seeds.alerts.main,
      unknownId: unknownFingerprint,
      request: (fingerprint, scope) => ({ fingerprint, note: `ack by ${scope.role}@${scope.tenant}` }),
      own: {
        code: "OK",
        check: (r, _id, scope) =>
          r.alert?.acknowledgement?.by === `${scope.role}@acme`
            ? []
            : [`ack by ${r.alert?.acknowledgement?.by}`],
      },
      other: { code: "NOT_FOUND" },
    },
    unacknowledge: {
      role: "operator",
      target: () => seeds.alerts.main,
      unknownId: unknownFingerprint,
      request: (fingerprint) => ({ fingerprint }),
      own: { code: "OK", check: (r) => (r.alert?.acknowledgement ? ["still acknowledged"] : []) },
      other: { code: "NOT_FOUND" },
    },
    // Resolving a resolved alert is refused; another tenant must hear NOT_FOUND before any state check.
    resolve: {
      role: "operator",
      target: () => seeds.alerts.resolved,
      unknownId: unknownFingerprint,
      request: (fingerprint, scope) => ({ fingerprint, note: `by ${scope.role}@${scope.tenant}` }),
      own: { code: "FAILED_PRECONDITION" },
      other: { code: "NOT_FOUND" },
    },
    // Creating names no acme id: another tenant creates a silence of its own.
    createSilence: {
      role: "operator",
      request: (_id, scope) => ({
        matchers: [`alertname="AuthzCreated-${scope.role}"`],
        startsAt: undefined,
        endsAt: new Date(Date.now() + 3_600_000),
        comment: `by ${scope.role}@${scope.tenant}`,
      }),
      own: {
        code: "OK",
        check: (r, _id, scope) =>
          r.silence?.createdBy === `${scope.role}@acme` ? [] : [`created by ${r.silence?.createdBy}`],
      },
      other: {
        code: "OK",
        check: (r, _id, scope) =>
          r.silence?.createdBy === `${scope.role}@globex` ? [] : [`created by ${r.silence?.createdBy}`],
      },
    },
    listSilences: {
      role: "viewer",
      request: () => ({ state: SilenceState.SILENCE_STATE_UNSPECIFIED }),
      own: {
        code: "OK",
        check: (r) =>
          includes(
            "silence",
            seeds.silences.keep,
            r.silences.map((s) => s.id),
          ),
      },
      other: {
        code: "OK",
        check: (r) =>
          noneOf(
            "silences",
            () => Object.values(seeds.silences),
            r.silences.map((s) => s.id),
          ).concat(
            r.silences
              .filter((s) => !s.createdBy.endsWith("@globex"))
              .map((s) => `silence ${s.id} of ${s.createdBy}`),
          ),
      },
    },
    expireSilence: {
      role: "operator",
      target: perRole(seeds.silences),
      unknownId: () => randomUUID(),
      request: (id) => ({ id }),
      own: {
        code: "OK",
        check: (r) =>
          r.silence?.state === SilenceState.SILENCE_STATE_EXPIRED ? [] : [`state ${r.silence?.state}`],
      },
      other: { code: "NOT_FOUND" },
    },
    listDeadLetters: {
      role: "viewer",
      request: () => ({ pageSize: 0, pageToken: "" }),
      own: {
        code: "OK",
        check: (r) =>
          includes(
            "dead letter",
            seeds.dead.keep,
            r.deadLetters.map((d) => d.id),
          ),
      },
      other: {
        code: "OK",
        check: (r) =>
          noneOf(
            "dead letters",
            () => Object.values(seeds.dead),
            r.deadLetters.map((d) => d.id),
          ),
      },
    },
    replayDeadLetter: {
      role: "operator",
      target: perRole(seeds.dead),
      unknownId: () => `msg_${randomBytes(12).toString("base64url")}`,
      request: (id) => ({ id }),
      own: {
        code: "OK",
        check: (r, id) => (r.deadLetter?.id === id ? [] : [`replayed ${r.deadLetter?.id}`]),
      },
      other: { code: "NOT_FOUND" },
    },
    // Receivers are the deployment's routing configuration, not a tenant's data.
    testReceiver: {
      // Receivers belong to the deployment: only the platform tenant's operators test them.
      role: "platform:operator",
      request: () => ({ receiver: "oncall" }),
      own: {
        code: "OK",
        check: (r) => (r.results.every((x) => x.delivered) ? [] : [JSON.stringify(r.results)]),
      },
      other: {
        code: "OK",
        check: (r) => (r.results.every((x) => x.delivered) ? [] : [JSON.stringify(r.results)]),
      },
    },
    // The routing file is the deployment's: re-reading it is the same for every admin.
    reloadConfig: {
      role: "platform:admin",
      request: () => ({}),
      own: { code: "OK", check: (r) => (r.receivers === 2 ? [] : [`${r.receivers} receivers`]) },
      other: { code: "OK", check: (r) => (r.receivers === 2 ? [] : [`${r.receivers} receivers`]) },
    },
    // No seeded alert names a client: an erasure finds nothing, in any tenant (erasure itself:
    // packages/e2e/test/erasure.int.test.ts).
    eraseClient: {
      role: "admin",
      request: () => ({ clientId: "authz-client-nowhere" }),
      own: { code: "OK", check: (r) => (r.alertsRemoved + r.keysRemoved === 0 ? [] : ["erased something"]) },
      other: {
        code: "OK",
        check: (r) => (r.alertsRemoved + r.keysRemoved === 0 ? [] : ["erased something"]),
      },
    },
  };

  async function alertStateAfterOtherTenant(): Promise<string[]> {
    const client = alertClient();
    const problems: string[] = [];
    try {
      for (const fingerprint of [seeds.alerts.main, seeds.alerts.resolved]) {
        const { alert, history } = await ok<{
          alert?: { state: AlertState; resolvedBy: string; acknowledgement?: { by: string } };
          history: { actor: string; action: string }[];
        }>(client, A.getAlert, { fingerprint }, acme("viewer"));
        const foreign = history.filter((event) => event.actor.endsWith("@globex"));
        if (foreign.length > 0)
          problems.push(`alert ${fingerprint} changed by globex: ${foreign.map((e) => e.action).join(", ")}`);
        if (alert?.acknowledgement?.by.endsWith("@globex"))
          problems.push(`alert ${fingerprint} acknowledged by ${alert.acknowledgement.by}`);
        if (fingerprint === seeds.alerts.resolved && alert?.resolvedBy !== "operator@acme")
          problems.push(`alert ${fingerprint} resolved by ${alert?.resolvedBy}`);
      }
      const { silences } = await ok<{ silences: { id: string; state: SilenceState; createdBy: string }[] }>(
        client,
        A.listSilences,
        { state: SilenceState.SILENCE_STATE_UNSPECIFIED },
        acme("viewer"),
      );
      const kept = silences.find((silence) => silence.id === seeds.silences.keep);
      if (kept?.state !== SilenceState.SILENCE_STATE_ACTIVE)
        problems.push(`acme's silence ${seeds.silences.keep} is ${kept ? SilenceState[kept.state] : "gone"}`);
      for (const silence of silences.filter((s) => !s.createdBy.endsWith("@acme")))
        problems.push(`silence ${silence.id} of ${silence.createdBy} listed to acme`);
      const { deadLetters } = await ok<{ deadLetters: { id: string; attempts: number }[] }>(
        client,
        A.listDeadLetters,
        { pageSize: 0, pageToken: "" },
        acme("viewer"),
      );
      if (!deadLetters.some((dead) => dead.id === seeds.dead.keep))
        problems.push(`acme's dead letter ${seeds.dead.keep} is no longer dead-lettered`);
    } finally {
      client.close();
    }
    return problems;
  }

  // --- AuditService (served by every service; here the alerter's, which acme's changes above wrote to) ---

  const auditClient = () => localClient(AuditServiceClient, alerter.grpcPort);
  const auditExamples: ExampleTable<typeof AuditServiceService> = {
    // The hash chain is the deployment's: any admin may check that it is intact.
    verify: {
      // Verifying reads every tenant's audit records.
      role: "platform:admin",
      request: () => ({}),
      own: { code: "OK", check: (r) => (r.intact ? [] : [`chain broken: ${r.reason}`]) },
      other: { code: "OK", check: (r) => (r.intact ? [] : [`chain broken: ${r.reason}`]) },
    },
    listAuditEntries: {
      role: "admin",
      request: () => ({ pageSize: 0 }),
      own: {
        code: "OK",
        check: (r) =>
          r.entries.length === 0
            ? ["acme's changes are not in its audit log"]
            : r.entries.filter((e) => e.tenant !== "acme").map((e) => `entry ${e.seq} of ${e.tenant}`),
      },
      other: {
        code: "OK",
        check: (r) =>
          r.entries.filter((e) => e.tenant !== "globex").map((e) => `entry ${e.seq} of ${e.tenant}`),
      },
    },
  };

  // --- DriftService ---

  const driftClient = () => localClient(DriftServiceClient, drift.grpcPort);
  const D = DriftServiceService;
  const csv = referenceCsv(200);
  const baselineUpload = (modelId: string, description: string) => [
    {
      part: {
        $case: "spec" as const,
        value: {
          modelId,
          source: BaselineSource.BASELINE_SOURCE_CSV,
          predictionColumn: "",
          scoreColumnPrefix: "",
          categoricalColumns: [],
          ignoredColumns: [],
          windowStart: undefined,
          description,
        },
      },
    },
    { part: { $case: "chunk" as const, value: csv } },
  ];

  async function seedDrift(): Promise<void> {
    const client = driftClient();
    try {
      for (const model of [seeds.drift.model, ...Object.values(seeds.drift.targets)])
        await ok(client, D.setBaseline, baselineUpload(model, "seed"), acme("operator"));
      // 40 events in one 5-minute window an hour ago, then one an hour later on the same partition
      // (same client): the watermark passes the window and it is evaluated.
      const windowMs = 5 * 60_000;
      const t0 = Math.floor((Date.now() - 2 * 3_600_000) / windowMs) * windowMs;
      const messages = Array.from({ length: 40 }, (_, i) => ({
        key: "authz-drift-client",
        value: inferenceEvent(seeds.drift.model, "authz-drift-client", new Date(t0 + i * 1_000), {
          x: { kind: { $case: "number", value: Math.sin(i) * 2 } },
        }),
      }));
      messages.push({
        key: "authz-drift-client",
        value: inferenceEvent(seeds.drift.model, "authz-drift-client", new Date(t0 + 3_600_000), {
          x: { kind: { $case: "number", value: 0 } },
        }),
      });
      await producer.send({ topic: `${namespaces.drift}.argus.inference.v1`, messages });
      await eventually(
        () =>
          ok<{ windows: unknown[] }>(
            client,
            D.listWindows,
            { modelId: seeds.drift.model, from: undefined, to: undefined, pageSize: 0 },
            acme("viewer"),
          ),
        ({ windows }) => windows.length >= 1,
        60_000,
        "an evaluated drift window",
      );
    } finally {
      client.close();
    }
  }

  const driftTarget = (scope: Scope) =>
    scope.role === "operator" || scope.role === "admin"
      ? scope.tenant === "acme"
        ? seeds.drift.model
        : seeds.drift.targets[scope.role]
      : seeds.drift.model;
  const unknownModel = () => `authz-unknown-${hex()}`;
  const driftExamples: ExampleTable<typeof DriftServiceService> = {
    // Model ids name a tenant's model: another tenant must not replace acme's baseline. No unknown-id
    // probe: a fresh id is a new model of the caller's (OK), so the two cannot answer alike.
    setBaseline: {
      role: "operator",
      target: driftTarget,
      request: (modelId, scope) => baselineUpload(modelId, `by ${scope.role}@${scope.tenant}`),
      own: {
        code: "OK",
        check: (r, id) => (r.baseline?.modelId === id ? [] : [`baseline of ${r.baseline?.modelId}`]),
      },
      other: { code: "NOT_FOUND" },
    },
    getDriftReport: {
      role: "viewer",
      target: () => seeds.drift.model,
      unknownId: unknownModel,
      request: (modelId) => ({ modelId, windowStart: undefined }),
      own: {
        code: "OK",
        check: (r, id) => (r.report?.modelId === id ? [] : [`report of ${r.report?.modelId}`]),
      },
      other: { code: "NOT_FOUND" },
    },
    listWindows: {
      role: "viewer",
      target: () => seeds.drift.model,
      unknownId: unknownModel,
      request: (modelId) => ({ modelId, from: undefined, to: undefined, pageSize: 0 }),
      own: { code: "OK", check: (r) => (r.windows.length > 0 ? [] : ["no windows"]) },
      other: {
        code: "OK",
        check: (r) => (r.windows.length === 0 ? [] : [`${r.windows.length} acme windows`]),
      },
    },
    getFeatureHistory: {
      role: "viewer",
      target: () => seeds.drift.model,
      unknownId: unknownModel,
      request: (modelId) => ({ modelId, feature: "x", from: undefined, to: undefined }),
      own: { code: "OK", check: (r) => (r.points.length > 0 ? [] : ["no points"]) },
      other: { code: "OK", check: (r) => (r.points.length === 0 ? [] : [`${r.points.length} acme points`]) },
    },
    listModels: {
      role: "viewer",
      request: () => ({}),
      own: {
        code: "OK",
        check: (r) =>
          includes(
            "model",
            seeds.drift.model,
            r.models.map((m) => m.modelId),
          ),
      },
      other: {
        code: "OK",
        check: (r) =>
          noneOf(
            "models",
            () => [seeds.drift.model, ...Object.values(seeds.drift.targets)],
            r.models.map((m) => m.modelId),
          ),
      },
    },
  };

  async function driftStateAfterOtherTenant(): Promise<string[]> {
    const client = driftClient();
    const problems: string[] = [];
    try {
      // A baseline-only model of acme: acme is told "no evaluated window yet"; a model acme does not
      // (or no longer) own is "no drift data".
      for (const model of Object.values(seeds.drift.targets)) {
        const outcome = await invoke(
          client,
          D.getDriftReport,
          { modelId: model, windowStart: undefined },
          bearer(acme("viewer")),
        );
        if (!outcome.details.includes("no evaluated window yet"))
          problems.push(
            `acme's model ${model} was taken over: acme now gets ${codeName(outcome.code)} "${outcome.details}"`,
          );
      }
    } finally {
      client.close();
    }
    return problems;
  }

  // --- AnomalyService ---

  const anomalyClient = () => localClient(AnomalyServiceClient, anomaly.grpcPort);
  const N = AnomalyServiceService;

  async function seedAnomaly(): Promise<void> {
    // An input-schema violation (age 212) gives the client some risk.
    await producer.send({
      topic: `${namespaces.anomaly}.argus.inference.v1`,
      messages: [
        {
          key: seeds.anomaly.client,
          value: inferenceEvent(
            seeds.anomaly.model,
            seeds.anomaly.client,
            new Date(),
            creditRiskFeatures(212),
          ),
        },
      ],
    });
    const client = anomalyClient();
    try {
      await eventually(
        () =>
          ok<{ clients: { clientId: string }[] }>(
            client,
            N.listRiskyClients,
            { modelId: seeds.anomaly.model, limit: 0 },
            acme("viewer"),
          ),
        ({ clients }) => clients.some((c) => c.clientId === seeds.anomaly.client),
        60_000,
        "acme's risky client",
      );
    } finally {
      client.close();
    }
  }

  const unknownClient = () => `authz-unknown-${hex()}`;
  const anomalyExamples: ExampleTable<typeof AnomalyServiceService> = {
    // Documented: an unknown client has risk 0 and no reasons; another tenant's client is unknown.
    getClientRisk: {
      role: "viewer",
      target: () => seeds.anomaly.client,
      unknownId: unknownClient,
      request: (clientId) => ({ clientId }),
      own: { code: "OK", check: (r) => ((r.risk?.score ?? 0) > 0 ? [] : ["acme's client has no risk"]) },
      other: { code: "OK", check: (r) => (r.risk?.score === 0 ? [] : [`risk ${r.risk?.score} leaked`]) },
    },
    listRiskyClients: {
      role: "viewer",
      request: () => ({ modelId: seeds.anomaly.model, limit: 0 }),
      own: {
        code: "OK",
        check: (r) =>
          includes(
            "client",
            seeds.anomaly.client,
            r.clients.map((c) => c.clientId),
          ),
      },
      other: {
        code: "OK",
        check: (r) =>
          noneOf(
            "clients",
            () => [seeds.anomaly.client],
            r.clients.map((c) => c.clientId),
          ),
      },
    },
    screenInput: {
      role: "ingest",
      target: () => seeds.anomaly.client,
      unknownId: unknownClient,
      request: (clientId, scope) => ({
        event: InferenceEvent.fromPartial({
          eventId: "00000000-0000-4000-8000-000000000000",
          modelId: seeds.anomaly.model,
          modelVersion: "1",
          clientId,
          tenant: scope.tenant,
          eventTime: new Date(0),
          features: creditRiskFeatures(41),
        }),
      }),
      own: { code: "OK", check: (r) => (r.clientRisk > 0 ? [] : ["acme's client risk not applied"]) },
      other: { code: "OK", check: (r) => (r.clientRisk === 0 ? [] : [`client risk ${r.clientRisk} leaked`]) },
    },
    // Another tenant's admin erasing acme's client removes nothing (its risk is checked afterwards);
    // acme's admin erases a client of its own that never sent anything, so the seed stays.
    eraseClient: {
      role: "admin",
      target: (scope) => (scope.tenant === "acme" ? "authz-client-never-seen" : seeds.anomaly.client),
      unknownId: unknownClient,
      request: (clientId) => ({ clientId }),
      own: { code: "OK" },
      other: {
        code: "OK",
        check: (r) => (r.keysRemoved + r.entriesRemoved === 0 ? [] : ["erased another tenant's client"]),
      },
    },
  };

  async function anomalyStateAfterOtherTenant(): Promise<string[]> {
    const client = anomalyClient();
    const problems: string[] = [];
    try {
      const { clients } = await ok<{ clients: { clientId: string }[] }>(
        client,
        N.listRiskyClients,
        { modelId: seeds.anomaly.model, limit: 0 },
        acme("viewer"),
      );
      if (!clients.some((c) => c.clientId === seeds.anomaly.client))
        problems.push(
          `acme's risky client ${seeds.anomaly.client} is gone from ListRiskyClients(model_id=${seeds.anomaly.model})`,
        );
      const { risk } = await ok<{ risk?: { score: number } }>(
        client,
        N.getClientRisk,
        { clientId: seeds.anomaly.client },
        acme("viewer"),
      );
      if (!((risk?.score ?? 0) > 0)) problems.push(`acme's client lost its risk (${risk?.score})`);
    } finally {
      client.close();
    }
    return problems;
  }

  const services = (): ServiceUnderTest[] => [
    serviceUnderTest(
      "AlertService",
      A,
      alertServiceRoles,
      alertExamples,
      alertClient,
      alertStateAfterOtherTenant,
    ),
    serviceUnderTest(
      "AuditService",
      AuditServiceService,
      auditServiceRoles,
      auditExamples,
      auditClient,
      async () => [],
    ),
    serviceUnderTest(
      "DriftService",
      D,
      driftServiceRoles,
      driftExamples,
      driftClient,
      driftStateAfterOtherTenant,
    ),
    serviceUnderTest(
      "AnomalyService",
      N,
      anomalyServiceRoles,
      anomalyExamples,
      anomalyClient,
      anomalyStateAfterOtherTenant,
    ),
  ];

  it("has a role and an example request for every method of every service", () => {
    expect(services().flatMap(coverageProblems)).toEqual([]);
  });

  // AuditService after AlertService: acme's changes to alerts and silences are its audit entries.
  it.each(["AlertService", "AuditService", "DriftService", "AnomalyService"])(
    "%s answers every caller with the documented status",
    async (name) => {
      const service = services().find((s) => s.name === name) as ServiceUnderTest;
      expect(coverageProblems(service)).toEqual([]);
      const before = stateProblems.length;
      const mine = await runMatrix(service, tokens);
      expect([...deviations(mine), ...stateProblems.slice(before)]).toEqual([]);
    },
  );
});
