/** How numbers, durations and cluster names are written on the page. */

/** `outbound|8000|v1|httpbin.demo.svc.cluster.local` → `httpbin.demo :8000 v1`. */
export function clusterLabel(cluster: string): string {
  const parts = cluster.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return cluster;
  const [, port, subset, host] = parts as [string, string, string, string];
  const short = host.replace(/\.svc\.cluster\.local$/, '');
  return `${short} :${port}${subset === '' ? '' : ` ${subset}`}`;
}

export function fixed(n: number | null, digits = 1): string {
  if (n === null || !Number.isFinite(n)) return '–';
  return n.toFixed(digits);
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function percent(n: number | null, digits = 1): string {
  return n === null ? '–' : `${Number(n.toFixed(digits))}%`;
}

export function ms(n: number | null): string {
  if (n === null) return '–';
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
}

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function time(iso: string | null): string {
  if (iso === null) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString('en-GB');
}
