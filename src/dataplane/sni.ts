/**
 * Which Gateway server's certificate a TLS client gets for its SNI name, as Envoy chooses among
 * filter chains by `server_names`: an exact name first, then the longest matching `*.suffix`, then a
 * server for `*`; a client that sent no name, or a name nothing matches, gets the first server's.
 */
export interface ServerNames {
  readonly hosts: readonly string[];
}

/** The server whose hosts match `servername` most specifically; `undefined` only when `servers` is empty. */
export function pickByServerName<T extends ServerNames>(servers: readonly T[], servername: string): T | undefined {
  const name = servername.toLowerCase();
  let best: T | undefined;
  // 3: exact name; 2 + suffix length / 1e6: wildcard (a longer suffix is more specific); 1: `*`.
  let bestScore = 0;
  for (const server of servers) {
    for (const configured of server.hosts) {
      const host = configured.toLowerCase();
      const score = host === name ? 3 : host === '*' ? 1 : wildcardScore(host, name);
      if (score > bestScore) {
        best = server;
        bestScore = score;
      }
    }
  }
  return best ?? servers[0];
}

function wildcardScore(host: string, name: string): number {
  if (!host.startsWith('*.') || name === '') return 0;
  const suffix = host.slice(1); // ".example.com"
  return name.endsWith(suffix) && name.length > suffix.length ? 2 + suffix.length / 1e6 : 0;
}
