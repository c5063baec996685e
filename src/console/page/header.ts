/** The header: config version and load time, uptime, workers, live state, and the last rejected reload. */
import type { GatewayInfo } from '../api-types.ts';
import { byId, h } from './dom.ts';
import { duration, time } from './format.ts';

export function renderHeader(info: GatewayInfo): void {
  byId('config-version').textContent = info.config.version ?? '–';
  byId('config-loaded').textContent = time(info.config.loadedAt);
  byId('config-loaded').title = info.config.loadedAt ?? '';
  byId('uptime').textContent = duration(info.uptimeSeconds);
  byId('workers').textContent = info.workers === 0 ? '1 (in process)' : String(info.workers);
  const rejected = byId('rejected');
  const last = info.config.lastRejected;
  rejected.hidden = last === null;
  if (last === null) return;
  rejected.replaceChildren(
    h('strong', {}, `Last reload rejected at ${time(last.at)}; still serving config ${info.config.version ?? '?'}.`),
    h(
      'ul',
      {},
      ...last.errors.map((e) => h('li', {}, h('code', {}, e.code), ` ${e.file}${e.line > 0 ? `:${e.line}` : ''} ${e.field}: ${e.message}`)),
    ),
  );
}

export function renderLive(connected: boolean): void {
  const live = byId('live');
  live.textContent = connected ? 'live' : 'reconnecting';
  live.classList.toggle('off', !connected);
}
