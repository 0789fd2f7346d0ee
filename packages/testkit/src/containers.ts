import { RedisContainer } from "@testcontainers/redis";
import { GenericContainer, Wait } from "testcontainers";
import { newClusterId } from "./kafka-config.js";
import { waitForKafkaReady } from "./kafka-ready.js";

export const KAFKA_IMAGE = "apache/kafka:4.1.1";
export const REDIS_IMAGE = "redis:7";

export interface ContainerServer<T> {
  value: T;
  stop(): Promise<void>;
}

// Inside the container: 9092 is published to the host, 9093 serves other containers, 9094 is KRaft.
const HOST_LISTENER_PORT = 9092;
const STARTER = "/tmp/argus-kafka-start.sh";
const STARTER_READY = "/tmp/argus-kafka-start.ready";
const WAITING = "argus: waiting for starter script";

/**
 * Kafka from the official apache/kafka image in KRaft mode. @testcontainers/kafka's KafkaContainer
 * only drives confluentinc/cp-kafka (it execs /etc/confluent/docker/run and checks Confluent version
 * numbers), so this follows testcontainers-java's apache/kafka recipe instead: the container waits
 * for a starter script that is copied in once the host port mapping is known, because the
 * advertised listener must name that mapped port.
 */
export async function startKafkaContainer(log: (line: string) => void): Promise<ContainerServer<string[]>> {
  log(`starting ${KAFKA_IMAGE} with testcontainers…`);
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts(HOST_LISTENER_PORT)
    .withEnvironment({
      CLUSTER_ID: newClusterId(),
      KAFKA_NODE_ID: "1",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_LISTENERS: "PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094",
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
      KAFKA_INTER_BROKER_LISTENER_NAME: "BROKER",
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9094",
      KAFKA_NUM_PARTITIONS: "3",
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "true",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: "1",
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
    })
    .withCommand([
      "sh",
      "-c",
      `echo '${WAITING}'; while [ ! -f ${STARTER_READY} ]; do sleep 0.1; done; exec sh ${STARTER}`,
    ])
    .withWaitStrategy(Wait.forLogMessage(WAITING))
    .withStartupTimeout(120_000)
    .start();

  try {
    const bootstrap = `${container.getHost()}:${container.getMappedPort(HOST_LISTENER_PORT)}`;
    const advertised = `PLAINTEXT://${bootstrap},BROKER://${container.getHostname()}:9093`;
    // The script is run with `sh file` and released by a separate flag file: exec'ing a file that
    // `docker cp` may still hold open fails with "Text file busy" on loaded hosts.
    await container.copyContentToContainer([
      {
        content: `export KAFKA_ADVERTISED_LISTENERS=${advertised}\nexec /etc/kafka/docker/run\n`,
        target: STARTER,
        mode: 0o755,
      },
    ]);
    await container.copyContentToContainer([{ content: "", target: STARTER_READY }]);
    await waitForKafkaReady([bootstrap], { timeoutMs: 120_000 });
    return { value: [bootstrap], stop: async () => void (await container.stop()) };
  } catch (error) {
    await container.stop().catch(() => {});
    throw error;
  }
}

export async function startRedisContainer(log: (line: string) => void): Promise<ContainerServer<string>> {
  log(`starting ${REDIS_IMAGE} with testcontainers…`);
  const container = await new RedisContainer(REDIS_IMAGE).start();
  return { value: container.getConnectionUrl(), stop: async () => void (await container.stop()) };
}
