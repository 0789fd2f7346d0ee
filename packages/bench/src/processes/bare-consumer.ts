// A baseline consumer as its own process: kafkajs with the services' settings (eachBatch, manual
// commit per batch), doing nothing with the records, or only decoding them. The bench runs it next to
// the services on the same pre-filled topic, so their ratio to it is what the services cost.
// Usage: tsx bare-consumer.ts <brokers> <topic> <groupId> <none|decode>
import { InferenceEvent } from "@argus/proto";
import kafkajs from "kafkajs";

const [brokers, topic, groupId, work] = process.argv.slice(2);
if (!brokers || !topic || !groupId || (work !== "none" && work !== "decode"))
  throw new Error("usage: bare-consumer.ts <brokers> <topic> <groupId> <none|decode>");

const kafka = new kafkajs.Kafka({ brokers: brokers.split(","), logLevel: kafkajs.logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
let decodedFeatures = 0;
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
    if (work === "decode") {
      for (const message of batch.messages)
        if (message.value)
          decodedFeatures += Object.keys(InferenceEvent.decode(message.value).features).length;
    }
    const last = batch.lastOffset();
    resolveOffset(last);
    await commitOffsetsIfNecessary({
      topics: [
        { topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] },
      ],
    });
  },
});
const stop = async () => {
  await consumer.disconnect();
  // The count keeps the decoding from being optimized away, and says it happened.
  process.stderr.write(`bare consumer (${work}) decoded ${decodedFeatures} feature values\n`);
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
