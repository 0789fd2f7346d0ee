// What a group key says in the clear (groupRef in domain/grouping.ts writes it): stored records
// leave these out where they would repeat it.

/** The tenant a group key starts with (it is URI-encoded, so the first `/` ends it); "" if unreadable. */
export function tenantOfKey(groupKey: string): string {
  try {
    return decodeURIComponent(groupKey.slice(0, Math.max(0, groupKey.indexOf("/"))));
  } catch {
    return "";
  }
}

/** The fingerprint of a group of one alert (`group_by: ['...']`, the key ends `|<fingerprint>`). */
export function fingerprintOfKey(groupKey: string): string | undefined {
  const bar = groupKey.lastIndexOf("|");
  if (bar < 0) return undefined;
  try {
    const fingerprint = decodeURIComponent(groupKey.slice(bar + 1));
    return groupKey.endsWith(`|${encodeURIComponent(fingerprint)}`) ? fingerprint : undefined;
  } catch {
    return undefined;
  }
}
