/**
 * The hostile-input harness: a gateway whose only route sends everything to a primary backend and
 * mirrors 100% of it to a shadow, both raw TCP servers that record every byte. A probe writes exact
 * bytes on a fresh connection; the gateway answers and closes (or just closes), and then a normal
 * request proves the gateway still serves and gives the shadow time to receive anything the probe let
 * through. What must hold for a rejected probe: its status (or a close), and no byte of it at either
 * backend.
 */
import assert from 'node:assert/strict';
import { firstStatus, openRaw, recordingBackend, type RecordingBackend } from '../support/raw-socket.ts';
import { waitFor } from '../support/wait-for.ts';
import { mirrorConfig, startGateway } from '../integration/harness.ts';

/** A probe's expected outcome: this status then a close, or just a close with no response at all. */
export type Expected = number | 'closed';

export interface ProbeCase {
  readonly name: string;
  /** Exact bytes on the wire (latin1). */
  readonly raw: string;
  readonly expect: Expected;
  /**
   * The framing breaks only inside the body, after the head (and maybe body bytes) could have been
   * streamed upstream: a prefix may reach a backend, on a connection then closed, never past the break.
   */
  readonly abortedPrefix?: true;
}

export interface ProbeResult {
  readonly status: number;
  readonly text: string;
  readonly closed: boolean;
}

export interface HostileGateway {
  readonly port: number;
  readonly primary: RecordingBackend;
  readonly shadow: RecordingBackend;
  /** Writes `raw` and waits (bounded) for the gateway to close the connection. */
  probe(raw: string): Promise<ProbeResult>;
  /**
   * Sends a normal GET and checks that it is served and that, since `mark`, each backend received
   * that one request and nothing else.
   */
  assertOnlyFollowUpForwarded(mark: Mark, label: string, abortedPrefix?: boolean): Promise<void>;
  mark(): Mark;
}

/** Bytes each backend connection had received, by connection. */
export interface Mark {
  readonly primary: readonly number[];
  readonly shadow: readonly number[];
}

type Hook = Parameters<typeof startGateway>[0];

const PROBE_CLOSE_TIMEOUT_MS = 3000;
let followUps = 0;

export async function startHostileGateway(t: Hook): Promise<HostileGateway> {
  const primary = await recordingBackend();
  const shadow = await recordingBackend();
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { port } = await startGateway(
    t,
    mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 100 }'),
  );

  async function probe(raw: string): Promise<ProbeResult> {
    const conn = await openRaw(port);
    // No half-close: Node aborts a request whose client sends FIN, which would hide what it forwards.
    conn.socket.write(Buffer.from(raw, 'latin1'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([conn.whenClosed, new Promise((resolve) => (timer = setTimeout(resolve, PROBE_CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    const closed = conn.closed();
    conn.socket.destroy();
    return { status: firstStatus(conn.received()), text: conn.received(), closed };
  }

  const mark = (): Mark => ({
    primary: primary.connections.map((c) => c.bytes.length),
    shadow: shadow.connections.map((c) => c.bytes.length),
  });

  async function assertOnlyFollowUpForwarded(since: Mark, label: string, abortedPrefix = false): Promise<void> {
    const path = `/follow-up/${++followUps}`;
    const result = await probe(`GET ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`);
    assert.equal(result.status, 200, `${label}: the gateway still serves (got ${JSON.stringify(result.text.slice(0, 80))})`);
    await waitFor(() => shadow.bytes().includes(path), { description: `${label}: the shadow got the follow-up` });
    const followUpLine = `GET ${path} HTTP/1.1\r\n`;
    for (const [name, backend, from] of [['primary', primary, since.primary], ['shadow', shadow, since.shadow]] as const) {
      for (const [i, connection] of backend.connections.entries()) {
        const received = connection.bytes.slice(from[i] ?? 0);
        if (received === '') continue;
        const shown = JSON.stringify(received.slice(0, 400));
        assert.ok(!/smuggled/i.test(received), `${label}: a smuggled part reached the ${name}: ${shown}`);
        if (received.startsWith(followUpLine)) {
          const requestLines = received.match(/^[A-Z]+ \S+ HTTP\/1\.1\r$/gm) ?? [];
          assert.equal(requestLines.length, 1, `${label}: the ${name} received more than the follow-up: ${shown}`);
          continue;
        }
        // Framing found broken mid-body: what was forwarded before the error may have gone out, but
        // only on a connection the gateway then closed, so the backend can never read on past it.
        assert.ok(abortedPrefix, `${label}: the ${name} received part of the probe: ${shown}`);
        await waitFor(() => connection.closed, { description: `${label}: the ${name} connection with the aborted copy is closed` });
      }
    }
  }

  return { port, primary, shadow, probe, assertOnlyFollowUpForwarded, mark };
}

/** Runs one table row: the expected status (or close), nothing forwarded, the gateway still serving. */
export async function assertRejected(gw: HostileGateway, c: ProbeCase): Promise<void> {
  const since = gw.mark();
  const result = await gw.probe(c.raw);
  const shown = JSON.stringify(result.text.slice(0, 120));
  if (c.expect === 'closed') {
    assert.ok(result.closed, `${c.name}: the connection was not closed (got ${shown})`);
    assert.equal(result.status, 0, `${c.name}: expected no response, got ${shown}`);
  } else {
    assert.equal(result.status, c.expect, `${c.name}: got ${shown}`);
    assert.ok(result.closed, `${c.name}: the connection was left open`);
  }
  await gw.assertOnlyFollowUpForwarded(since, c.name, c.abortedPrefix ?? false);
}
