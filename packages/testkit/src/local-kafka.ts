import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePorts } from "./free-port.js";
import { classDataSharing } from "./kafka-cds.js";
import { resolveKafkaClasspath } from "./kafka-classpath.js";
import { newClusterId, renderProperties, serverProperties } from "./kafka-config.js";
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
}

export interface LocalKafka {
  brokers: string[];
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

  const [port, controllerPort] = await freePorts(2, HOST);
  if (port === undefined || controllerPort === undefined) throw new Error("no free ports");
  const propertiesFile = join(dir, "server.properties");
  await writeFile(
    propertiesFile,
    renderProperties(serverProperties({ host: HOST, port, controllerPort, dataDir })),
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
    ["format", "-t", newClusterId(), "-c", propertiesFile],
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

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
