import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePorts } from "./free-port.js";
import { classDataSharing } from "./kafka-cds.js";
import { resolveKafkaClasspath } from "./kafka-classpath.js";
import {
  newClusterId,
  renderProperties,
  SCRAM_MECHANISMS,
  type SecureListenerConfig,
  scramArgument,
  serverProperties,
} from "./kafka-config.js";
import { waitForKafkaReady } from "./kafka-ready.js";
import { tailFile } from "./log-tail.js";
import { type LocalServerOptions, PortClashError, retryOnPortClash } from "./options.js";
import { defaultCacheDir, kafkaDeployDir } from "./paths.js";
import { assertCommands } from "./preflight.js";
import { createRunDir } from "./run-dir.js";
import { type SupervisedProcess, supervise } from "./supervise.js";

export interface LocalKafkaOptions extends LocalServerOptions {
  /** Where the resolved classpath is cached (default: $ARGUS_CACHE_DIR or ~/.cache/argus). */
  cacheDir?: string;
  /** A second client listener that asks for SASL/SCRAM, and TLS if configured (tests of Argus' transport security). */
  secureListener?: SecureListenerOptions;
}

export interface SecureListenerOptions {
  /** Users given SCRAM-SHA-512 and SCRAM-SHA-256 credentials when the storage is formatted. */
  scramUsers: { name: string; password: string }[];
  /** PEM files of the listener's TLS (SASL_SSL); without them the listener is SASL_PLAINTEXT. */
  tls?: {
    certFile: string;
    keyFile: string;
    /** PEM CA bundle: clients must present a certificate that chains to it (mTLS). */
    clientCaFile?: string;
  };
}

export interface LocalKafka {
  /** The PLAINTEXT listener. */
  brokers: string[];
  /** The SASL listener, when `secureListener` was asked for. */
  secureBrokers?: string[];
  /** The run's temp folder: server.properties, data/ and logs/. */
  dir: string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
// Small heap and the serial collector: a test broker holds little data, and G1's background
// threads would compete with the services for the 2 cores.
const JVM_OPTS = ["-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Djava.awt.headless=true"];

export async function startLocalKafka(opts: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const log = opts.log ?? (() => {});
  assertCommands(["java"]);
  const started = Date.now();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const { classpath, fromCache } = await resolveKafkaClasspath({
    pomPath: join(kafkaDeployDir, "pom.xml"),
    cacheDir,
    log,
  });
  if (fromCache) log("Kafka jars: cached classpath, Maven skipped");

  return retryOnPortClash(() => startBroker(classpath, cacheDir, opts, log, started), log);
}

async function startBroker(
  classpath: string,
  cacheDir: string,
  opts: LocalKafkaOptions,
  log: (line: string) => void,
  started: number,
): Promise<LocalKafka> {
  const runDir = await createRunDir("argus-kafka-", opts.workDir);
  const dir = runDir.path;
  const logsDir = join(dir, "logs");
  const dataDir = join(dir, "data");
  await mkdir(logsDir);

  const [port, controllerPort, securePort] = await freePorts(opts.secureListener ? 3 : 2, HOST);
  if (port === undefined || controllerPort === undefined) throw new Error("no free ports");
  const secure = opts.secureListener
    ? await secureListenerConfig(opts.secureListener, securePort, dir)
    : undefined;
  const propertiesFile = join(dir, "server.properties");
  await writeFile(
    propertiesFile,
    renderProperties(
      serverProperties({ host: HOST, port, controllerPort, dataDir, ...(secure ? { secure } : {}) }),
    ),
  );

  const cds = await classDataSharing(cacheDir, classpath, dir);
  if (cds.toolArgs.length === 0) log("no class-data archive yet: this broker records one when it stops");
  const java = (mainClass: string, args: string[], logFile: string, jvmArgs: string[]): SupervisedProcess =>
    supervise({
      command: "java",
      args: [
        ...JVM_OPTS,
        ...jvmArgs,
        `-Dlog4j2.configurationFile=${join(kafkaDeployDir, "log4j2.properties")}`,
        `-Dkafka.logs.dir=${logsDir}`,
        "-cp",
        classpath,
        mainClass,
        ...args,
      ],
      cwd: dir,
      logFile,
    });

  const serverLog = join(logsDir, "server.log");
  const stdoutLog = join(logsDir, "stdout.log");
  const fail = async (reason: string, broker: SupervisedProcess): Promise<never> => {
    await broker.stop(5_000);
    const tail = `${await tailFile(serverLog)}\n--- ${stdoutLog} ---\n${await tailFile(stdoutLog, 20)}`;
    if (/Address already in use|BindException/.test(tail)) {
      await runDir.remove();
      throw new PortClashError(`Kafka port ${port} or ${controllerPort}`);
    }
    await runDir.keep();
    throw new Error(
      `${reason}\nKafka run folder kept at ${dir}\n--- last lines of ${serverLog} ---\n${tail}`,
    );
  };

  log("formatting storage…");
  const formatLog = join(logsDir, "format.log");
  const format = java(
    "kafka.tools.StorageTool",
    ["format", "-t", newClusterId(), "-c", propertiesFile, ...scramArguments(opts.secureListener)],
    formatLog,
    cds.toolArgs,
  );
  const formatted = await format.exited;
  if (formatted.code !== 0) {
    await runDir.keep();
    throw new Error(
      `kafka storage format failed (exit ${formatted.code}); folder kept at ${dir}\n${await tailFile(formatLog)}`,
    );
  }

  log(`starting broker on ${HOST}:${port}…`);
  const brokerStarted = Date.now();
  const broker = java("kafka.Kafka", [propertiesFile], stdoutLog, cds.brokerArgs);
  const brokerGone = new AbortController();
  void broker.exited.then(() => brokerGone.abort());
  const timeoutMs = opts.timeoutMs ?? 60_000;
  try {
    await waitForKafkaReady([`${HOST}:${port}`], { timeoutMs, signal: brokerGone.signal });
  } catch (error) {
    const exit = broker.hasExited() ? await broker.exited : undefined;
    const reason = exit
      ? `Kafka broker exited during startup (code ${exit.code}, signal ${exit.signal})`
      : (error as Error).message;
    return fail(reason, broker);
  }
  log(
    `broker ready in ${seconds(Date.now() - started)} s (JVM to ready ${seconds(Date.now() - brokerStarted)} s)`,
  );

  let stopping: Promise<void> | undefined;
  return {
    brokers: [`${HOST}:${port}`],
    ...(secure ? { secureBrokers: [`${HOST}:${secure.port}`] } : {}),
    dir,
    stop() {
      stopping ??= (async () => {
        // An exit before stop() is a crash: keep its logs for the post-mortem.
        const crashed = broker.hasExited();
        const exit = await broker.stop(15_000);
        if (!crashed && exit.signal === null) await cds.keepRecorded();
        if (crashed) {
          await runDir.keep();
          log(`Kafka broker had exited on its own; logs kept in ${logsDir}`);
        } else await runDir.remove();
      })();
      return stopping;
    },
  };
}

const execFileAsync = promisify(execFile);

/** The listener's properties; for TLS, a PKCS#12 keystore made from the PEM files by openssl. */
async function secureListenerConfig(
  options: SecureListenerOptions,
  port: number | undefined,
  dir: string,
): Promise<SecureListenerConfig> {
  if (port === undefined) throw new Error("no free port for the secure listener");
  if (!options.tls) return { port };
  assertCommands(["openssl"]);
  const keystoreFile = join(dir, "keystore.p12");
  const keystorePassword = randomBytes(18).toString("base64url");
  const { certFile, keyFile, clientCaFile } = options.tls;
  await execFileAsync(
    "openssl",
    ["pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-name", "broker"].concat([
      "-out",
      keystoreFile,
      "-passout",
      "env:ARGUS_KEYSTORE_PASSWORD",
    ]),
    { env: { ...process.env, ARGUS_KEYSTORE_PASSWORD: keystorePassword } },
  );
  return { port, tls: { keystoreFile, keystorePassword, clientCaFile } };
}

function scramArguments(options: SecureListenerOptions | undefined): string[] {
  return (options?.scramUsers ?? []).flatMap(({ name, password }) =>
    SCRAM_MECHANISMS.flatMap((mechanism) => ["--add-scram", scramArgument(mechanism, name, password)]),
  );
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
