import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import ipaddr from "ipaddr.js";
import { Agent } from "undici";

/**
 * Where the alerter may connect. A webhook URL comes from configuration that an operator (or an
 * attacker who got config access) controls; without this, "send an alert" is a request to any
 * internal service or to the cloud metadata endpoint (SSRF). Every address is checked at connect
 * time, after DNS resolution, so a name that resolves to a private address (or re-resolves to one:
 * DNS rebinding) is refused before a packet is sent.
 */
export interface EgressPolicy {
  /** CIDR ranges allowed even though they are loopback, private or link-local (e.g. "127.0.0.1/32"). */
  allow: string[];
}

// Ranges (ipaddr.js names) that are never public destinations.
const refusedRanges = new Set([
  "unspecified",
  "broadcast",
  "multicast",
  "linkLocal",
  "loopback",
  "carrierGradeNat",
  "private",
  "reserved",
  "uniqueLocal",
  "ipv4Mapped",
  "rfc6145",
  "rfc6052",
  "6to4",
  "teredo",
  "benchmarking",
  "amt",
  "as112",
  "deprecated",
  "orchid2",
  "droneRemoteIdProtocolEntityTags",
]);

export class RefusedDestinationError extends Error {
  override readonly name = "RefusedDestinationError";
  readonly code = "ERR_ARGUS_EGRESS_REFUSED";
}

/** Why an address may not be connected to, or null when it may. */
export function refusalOf(address: string, policy: EgressPolicy): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  // ::ffff:10.0.0.1 is 10.0.0.1: judge the IPv4 address it carries.
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  for (const cidr of policy.allow) {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    if (range.kind() === parsed.kind() && parsed.match([range, bits] as [ipaddr.IPv4 | ipaddr.IPv6, number]))
      return null;
  }
  const range = parsed.range();
  return refusedRanges.has(range) ? `${address} is a ${range} address (not allowlisted)` : null;
}

/**
 * An undici dispatcher that refuses connections to refused addresses: the check runs in the
 * connection's own DNS lookup, so what is checked is what is connected to.
 */
export function guardedAgent(policy: EgressPolicy, connectTimeoutMs: number): Agent {
  return new Agent({
    connect: {
      timeout: connectTimeoutMs,
      lookup: (hostname, options, callback) => {
        dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, "", 4);
          const list = addresses as LookupAddress[];
          for (const { address } of list) {
            const refusal = refusalOf(address, policy);
            if (refusal) return callback(new RefusedDestinationError(`${hostname}: ${refusal}`), "", 4);
          }
          const first = list[0] as LookupAddress;
          if ((options as { all?: boolean }).all)
            return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
          return callback(null, first.address, first.family);
        });
      },
    },
  });
}

/** IP-literal hosts never reach the DNS lookup, so they are checked here, before any connection. */
export function refusalOfUrl(url: string, policy: EgressPolicy): string | null {
  // Every send asks about its URL: receivers are few, so the answer is kept per policy and URL.
  let answers = refusalsByPolicy.get(policy);
  if (!answers) {
    answers = new Map();
    refusalsByPolicy.set(policy, answers);
  }
  let answer = answers.get(url);
  if (answer === undefined) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    answer = ipaddr.isValid(host) ? refusalOf(host, policy) : null;
    if (answers.size >= 1_000) answers.clear();
    answers.set(url, answer);
  }
  return answer;
}

const refusalsByPolicy = new WeakMap<EgressPolicy, Map<string, string | null>>();
