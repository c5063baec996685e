/**
 * The live feed: `GET /api/stream` (server-sent events) read with fetch, not EventSource, because
 * EventSource cannot send the bearer header. Reconnects after a second when the stream ends.
 */
import type { StreamTick } from '../api-types.ts';
import { authorizedFetch } from './api.ts';

export interface StreamHandlers {
  onTick(tick: StreamTick): void;
  /** `true` while connected. */
  onState(connected: boolean): void;
}

/** Parses `event:`/`data:` blocks; returns the text after the last complete block. */
function drain(buffer: string, emit: (event: string, data: string) => void): string {
  let end: number;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) emit(name, data.join('\n'));
  }
  return buffer;
}

export function subscribe(handlers: StreamHandlers): void {
  const connect = async (): Promise<void> => {
    try {
      const response = await authorizedFetch('/api/stream', { headers: { accept: 'text/event-stream' } });
      if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
      handlers.onState(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = drain(buffer + value, (event, data) => {
          if (event === 'tick') handlers.onTick(JSON.parse(data) as StreamTick);
        });
      }
    } catch {
      // Reconnect below; the page shows it is not live meanwhile.
    }
    handlers.onState(false);
    setTimeout(() => void connect(), 1000);
  };
  void connect();
}
