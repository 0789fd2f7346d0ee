import { formatMatcher, type Matcher, matchesAll } from "./matchers.js";

/**
 * A node of the routing tree with Alertmanager's meaning, every inheritable setting already resolved
 * from its ancestors.
 */
export interface Route {
  /**
   * Alertmanager-style identity: the ancestors' keys and this route's matchers, so it survives
   * reloads that leave this route and its ancestors alone. Group keys start with it.
   */
  key: string;
  receiver: string;
  matchers: Matcher[];
  /** Whether siblings after this one are still tried once this one matched. */
  continue: boolean;
  /** Labels that split alerts into groups; "all" groups by every label (no aggregation). */
  groupBy: string[] | "all";
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
  routes: Route[];
}

/** A route as configured: absent settings are inherited from the parent (or defaulted at the root). */
export interface RouteSpec {
  receiver?: string;
  matchers: Matcher[];
  continue: boolean;
  groupBy?: string[] | "all";
  groupWaitMs?: number;
  groupIntervalMs?: number;
  repeatIntervalMs?: number;
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
  routes: RouteSpec[];
}

/** Alertmanager's defaults; the root groups by no label, so each route has one group. */
export const routeDefaults = {
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3_600_000,
} as const;

/** Resolves inheritance and keys; the root spec must name a receiver. */
export function buildRouteTree(root: RouteSpec & { receiver: string }): Route {
  return buildRoute(root, "{}", { key: "", receiver: root.receiver, groupBy: [], ...routeDefaults });
}

type Inherited = Pick<
  Route,
  "key" | "receiver" | "groupBy" | "groupWaitMs" | "groupIntervalMs" | "repeatIntervalMs"
>;

function buildRoute(spec: RouteSpec, key: string, parent: Inherited): Route {
  const route: Route = {
    key,
    receiver: spec.receiver ?? parent.receiver,
    matchers: spec.matchers,
    continue: spec.continue,
    groupBy: spec.groupBy ?? parent.groupBy,
    groupWaitMs: spec.groupWaitMs ?? parent.groupWaitMs,
    groupIntervalMs: spec.groupIntervalMs ?? parent.groupIntervalMs,
    repeatIntervalMs: spec.repeatIntervalMs ?? parent.repeatIntervalMs,
    // Time intervals are not inherited (Alertmanager): a child only mutes when it says so.
    muteTimeIntervals: spec.muteTimeIntervals,
    activeTimeIntervals: spec.activeTimeIntervals,
    routes: [],
  };
  const keys = childKeys(key, spec.routes);
  route.routes = spec.routes.map((child, index) => buildRoute(child, keys[index] as string, route));
  return route;
}

/**
 * `${parent}/{matchers}`, matchers sorted so reordering them keeps the key. Siblings with identical
 * matchers get `/i` (their rank among those twins), so adding any other sibling keeps every key.
 */
function childKeys(parentKey: string, children: readonly RouteSpec[]): string[] {
  const bases = children.map(
    (child) => `${parentKey}/{${sortedMatchers(child.matchers).map(formatMatcher).join(",")}}`,
  );
  const twins = new Map<string, number>();
  for (const base of bases) twins.set(base, (twins.get(base) ?? 0) + 1);
  const seen = new Map<string, number>();
  return bases.map((base) => {
    if (twins.get(base) === 1) return base;
    const rank = seen.get(base) ?? 0;
    seen.set(base, rank + 1);
    return `${base}/${rank}`;
  });
}

function sortedMatchers(matchers: readonly Matcher[]): Matcher[] {
  return [...matchers].sort(
    (a, b) => compare(a.name, b.name) || compare(a.value, b.value) || compare(a.type, b.type),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The routes an alert with `labels` is notified through (Alertmanager's Route.Match): depth first, a
 * matching route hands the alert to its matching children, and is itself the result only when none
 * matches; a matching child stops its later siblings unless it has `continue`. The root has no
 * matchers, so every alert gets at least one route.
 */
export function matchRoutes(root: Route, labels: Readonly<Record<string, string>>): Route[] {
  return matchFrom(root, labels) ?? [];
}

function matchFrom(route: Route, labels: Readonly<Record<string, string>>): Route[] | null {
  if (!matchesAll(route.matchers, labels)) return null;
  const matched: Route[] = [];
  for (const child of route.routes) {
    const fromChild = matchFrom(child, labels);
    if (!fromChild) continue;
    matched.push(...fromChild);
    if (!child.continue) break;
  }
  return matched.length > 0 ? matched : [route];
}

/** The labels that identify an alert's group on `route`: those of `groupBy` the alert has. */
export function groupLabelsFor(
  route: Route,
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  if (route.groupBy === "all") return { ...labels };
  const groupLabels: Record<string, string> = {};
  for (const name of route.groupBy) {
    if (Object.hasOwn(labels, name)) groupLabels[name] = labels[name] as string;
  }
  return groupLabels;
}

/** `${route.key}:{a="1",b="2"}`, labels sorted by name: the same group gets the same key everywhere. */
export function groupKeyFor(route: Pick<Route, "key">, groupLabels: Record<string, string>): string {
  const pairs = Object.entries(groupLabels)
    .sort(([a], [b]) => compare(a, b))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `${route.key}:{${pairs.join(",")}}`;
}

export function findRoute(root: Route, key: string): Route | undefined {
  if (root.key === key) return root;
  for (const child of root.routes) {
    const found = findRoute(child, key);
    if (found) return found;
  }
  return undefined;
}
