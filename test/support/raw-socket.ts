/**
 * Raw-socket tools for hostile-input and timeout tests: a client that writes exact bytes and reports
 * what came back and whether the gateway closed the connection, and a backend that records every byte
 * it receives (no HTTP parser in the way, so a smuggled request shows up however it is framed).
 */
import { connect, createServer, type Socket } from 'node:net';
import { listenOnLoopback } from './listen.ts';

/** A client connection and everything it has received. */
export interface RawConnection {
  readonly socket: Socket;
  /** Bytes received so far, latin1. */
  readonly received: () => string;
  /** Whether the peer closed (or reset) the connection. */
  readonly closed: () => boolean;
  /** Resolves when the connection is closed, however it ends. */
  readonly whenClosed: Promise<void>;
}

/** Opens a connection to the gateway on 127.0.0.1:`port`; resolves once connected. */
export function openRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => {});
    const whenClosed = new Promise<void>((done) =>
      socket.once('close', () => {
        closed = true;
        done();
      }),
    );
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({ socket, received: () => data, closed: () => closed, whenClosed });
    });
    socket.once('error', reject);
  });
}

/** The status of the first response in `text`, or 0 when there is none. */
export function firstStatus(text: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** Every status line in `text`, in order (pipelined or smuggled responses show up as extra ones). */
export function allStatuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
}

/** What one backend connection received, and whether the gateway has closed it. */
export interface RecordedConnection {
  bytes: string;
  closed: boolean;
}

/** A loopback backend that records raw bytes and answers each header block with a small 200. */
export interface RecordingBackend {
  readonly port: number;
  /** Every byte received on every connection, latin1, in arrival order. */
  readonly bytes: () => string;
  /** Each connection's bytes, in accept order. */
  readonly connections: readonly RecordedConnection[];
  close(): Promise<void>;
}

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok';

/**
 * Answers every `\r\n\r\n` it sees with a 200, enough for the GETs a test sends through the gateway
 * after a probe; the point is the record, which shows anything a probe got through.
 */
export async function recordingBackend(): Promise<RecordingBackend> {
  let all = '';
  const connections: RecordedConnection[] = [];
  const server = createServer((socket) => {
    const record: RecordedConnection = { bytes: '', closed: false };
    connections.push(record);
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    socket.on('close', () => (record.closed = true));
    socket.on('data', (chunk: string) => {
      all += chunk;
      record.bytes += chunk;
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
        pending = pending.slice(end + 4);
        socket.write(OK);
      }
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { port, bytes: () => all, connections, close };
}
