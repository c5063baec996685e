/**
 * Headless Chromium for the dashboard's tests, driven with playwright-core. CI installs Debian's
 * `chromium` (.ci/run); without it the browser tests fail under CI=true and are skipped (with a message
 * saying why) on a developer's machine.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SHADOWGATE_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots and other files a run leaves behind for a person to look at (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface TestContext {
  skip(message?: string): void;
  after(fn: () => unknown): void;
}

/** Launches Chromium for one test, closed when it ends; `null` after skipping the test when there is none. */
export async function launchBrowser(t: TestContext): Promise<Browser | null> {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set SHADOWGATE_CHROMIUM)`;
    if (process.env.CI === 'true') throw new Error(`browser tests need Chromium in CI: ${message}`);
    t.skip(message);
    return null;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  t.after(() => browser.close());
  return browser;
}

/** Everything that went wrong on a page: console errors, uncaught exceptions, failed requests, HTTP errors. */
export interface PageProblems {
  readonly list: string[];
  /** Stop recording (before closing the page, whose stream request is then aborted on purpose). */
  stop(): void;
}

export function watchProblems(
  page: Page,
  allowStatus: (url: string, status: number) => boolean = () => false,
  allowFailure: (url: string, error: string) => boolean = () => false,
): PageProblems {
  const list: string[] = [];
  let recording = true;
  page.on('console', (m) => {
    if (!recording || m.type() !== 'error') return;
    // Chromium logs every 4xx/5xx response as a console error; the ones a test expects are not problems.
    const status = /Failed to load resource: the server responded with a status of (\d+)/.exec(m.text())?.[1];
    if (status !== undefined && allowStatus(m.location().url, Number(status))) return;
    list.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => {
    if (recording) list.push(`exception: ${e.message}`);
  });
  page.on('requestfailed', (r) => {
    if (recording && !allowFailure(r.url(), r.failure()?.errorText ?? '')) list.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (recording && r.status() >= 400 && !allowStatus(r.url(), r.status())) list.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return {
    list,
    stop: () => {
      recording = false;
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return `${ARTIFACTS_DIR}${name}`;
}
