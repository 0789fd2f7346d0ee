/** The Kafka topics of Argus, versioned by the contract they carry. */
export const baseTopics = {
  inference: "argus.inference.v1",
  feedback: "argus.feedback.v1",
  findings: "argus.findings.v1",
  deadLetter: "argus.deadletter.v1",
  /** The audit log's mirror (audit/audit-log.ts): JSON records keyed by seq. */
  audit: "argus.audit.v1",
} as const;

export type TopicRole = keyof typeof baseTopics;
export type TopicNames = { [K in TopicRole]: string };

/** Topic names under a prefix, so that several environments (or test runs) can share one cluster. */
export function topicNames(prefix: string): TopicNames {
  const named = {} as TopicNames;
  for (const role of Object.keys(baseTopics) as TopicRole[]) named[role] = `${prefix}${baseTopics[role]}`;
  return named;
}
