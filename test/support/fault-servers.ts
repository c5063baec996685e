/**
 * Upstreams that misbehave in one specific way each, for the fault suite and the soak: they never
 * answer, stall after the headers, read the request body slowly, reset mid-request or mid-response,
 * answer bytes that are not HTTP, stream a huge body, or close after each response. Each counts what
 * it saw so a test can assert the gateway's side of the story (e.g. that it closed a connection early).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { listenOnLoopback, type TestServer } from './listen.ts';

/** A fault server: `count` is requests (HTTP servers) or connections that sent data (raw servers). */
export interface FaultServer extends TestServer {
  /** Responses cut short because the client closed the connection before the server was done. */
  readonly closedEarly: number;
  /** Connections accepted. */
  readonly connections: number;
  /** Connections open now. */
  readonly openConnections: number;
}

interface Tally {
  count: number;
  closedEarly: number;
  connections: number;
  open: number;
}

function tally(): Tally {
  return { count: 0, closedEarly: 0, connections: 0, open: 0 };
}

function track(server: import('node:net').Server, counts: Tally): void {
  server.on('connection', (socket: Socket) => {
    counts.connections++;
    counts.open++;
    socket.on('close', () => counts.open--);
  });
}

async function httpFault(handler: (req: IncomingMessage, res: ServerResponse, tally: Tally) => void): Promise<FaultServer> {
  const counts = tally();
  const server = createHttpServer((req, res) => {
    counts.count++;
    handler(req, res, counts);
  });
  track(server, counts);
  // A client that goes away mid-request is what these servers are for; they stay quiet about it.
  server.on('clientError', (_error, socket) => socket.destroy());
  return finish(server, counts);
}

async function rawFault(onData: (socket: Socket, tally: Tally) => void): Promise<FaultServer> {
  const counts = tally();
  const server = createNetServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      counts.count++;
      onData(socket, counts);
    });
  });
  track(server, counts);
  return finish(server, counts);
}

async function finish(server: import('node:net').Server, counts: Tally): Promise<FaultServer> {
  const host = '127.0.0.1';
  const { port, close } = await listenOnLoopback(server, host);
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    get count() {
      return counts.count;
    },
    get closedEarly() {
      return counts.closedEarly;
    },
    get connections() {
      return counts.connections;
    },
    get openConnections() {
      return counts.open;
    },
    close,
  };
}

/** Reads the request and never answers (the connection stays open until the client gives up). */
export function silentServer(): Promise<FaultServer> {
  return httpFault((req) => req.resume());
}

/** Sends 200 headers and the first body bytes of a chunked response, then never sends more. */
export function stallAfterHeadersServer(): Promise<FaultServer> {
  return httpFault((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  });
}

/**
 * Reads the request body `bytesPerSecond` at a time (pausing in between), then answers 200: a shadow
 * that applies backpressure to an upload.
 */
export function slowReaderServer(bytesPerSecond = 1024): Promise<FaultServer> {
  return httpFault((req, res) => {
    let budget = bytesPerSecond;
    const timer = setInterval(() => {
      budget = bytesPerSecond;
      req.resume();
    }, 1000);
    req.on('data', (chunk: Buffer) => {
      budget -= chunk.length;
      if (budget <= 0) req.pause();
    });
    req.on('end', () => {
      clearInterval(timer);
      res.end('read');
    });
    res.on('close', () => clearInterval(timer));
  });
}

/** Takes the request headers, then resets the connection (TCP RST) while the body is still coming. */
export function resetMidRequestServer(): Promise<FaultServer> {
  return rawFault((socket) => socket.resetAndDestroy());
}

/** Answers 200 with a declared 64 KiB body, sends 1 KiB of it, then resets the connection. */
export function resetMidResponseServer(): Promise<FaultServer> {
  return httpFault((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 65_536 });
      res.write(Buffer.alloc(1024, 0x61), () => res.socket?.resetAndDestroy());
    });
  });
}

/** Answers every request with bytes that are not HTTP, then closes. */
export function garbageServer(): Promise<FaultServer> {
  return rawFault((socket) => socket.end('SSH-2.0-OpenSSH_9.6 not http at all\r\n\r\n'));
}

/**
 * Streams a `bytes`-long body (declared with Content-Length unless `chunked`) in 64 KiB writes,
 * honouring backpressure; `closedEarly` counts responses the client hung up on before the last byte.
 */
export function hugeBodyServer(bytes: number, options: { chunked?: boolean } = {}): Promise<FaultServer> {
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  return httpFault((req, res, tally) => {
    req.resume();
    let sent = 0;
    res.on('close', () => {
      if (sent < bytes || !res.writableFinished) tally.closedEarly++;
    });
    res.writeHead(200, options.chunked ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/octet-stream', 'content-length': bytes });
    const pump = (): void => {
      while (sent < bytes && !res.destroyed) {
        const piece = bytes - sent >= chunk.length ? chunk : chunk.subarray(0, bytes - sent);
        sent += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (sent >= bytes) res.end();
    };
    pump();
  });
}

/** Answers 200 `closed` with `Connection: close`, so every request needs a new connection. */
export function closeAfterResponseServer(): Promise<FaultServer> {
  return httpFault((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 6, connection: 'close' });
      res.end('closed');
    });
  });
}
