/**
 * Envoy's order for matching a host name against configured domains, shared by virtual host
 * selection (the Host header) and certificate selection (the TLS SNI name): an exact name first, then
 * the longest matching `*.suffix`, then `*`. A wildcard needs at least one character before its
 * suffix (`*.example.com` does not match `example.com`) and matches at any depth (`a.b.example.com`).
 */
export interface DomainTable<T> {
  readonly exact: ReadonlyMap<string, T>;
  /** Sorted longest suffix first; `suffix` includes the leading dot (`.example.com`). */
  readonly suffixes: readonly { readonly suffix: string; readonly value: T }[];
  readonly catchAll: T | null;
}

/** Builds the table from `[domains, value]` entries; when two claim the same domain, the first keeps it. */
export function domainTable<T>(entries: readonly (readonly [readonly string[], T])[]): DomainTable<T> {
  const exact = new Map<string, T>();
  const suffixes: { suffix: string; value: T }[] = [];
  let catchAll: T | null = null;
  for (const [domains, item] of entries) {
    for (const configured of domains) {
      const domain = configured.toLowerCase();
      if (domain === '*') catchAll ??= item;
      else if (domain.startsWith('*.')) suffixes.push({ suffix: domain.slice(1), value: item });
      else if (!exact.has(domain)) exact.set(domain, item);
    }
  }
  // A stable sort: of two equal suffixes the first stays first, and lookup takes it.
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  return { exact, suffixes, catchAll };
}

/** The item for a lower-case host name, or `null` when no domain matches. */
export function lookupDomain<T>(table: DomainTable<T>, host: string): T | null {
  const exact = table.exact.get(host);
  if (exact !== undefined) return exact;
  for (const { suffix, value } of table.suffixes) {
    if (host.length > suffix.length && host.endsWith(suffix)) return value;
  }
  return table.catchAll;
}
