/**
 * The dashboard in a real headless Chromium, against a real gateway and real backends on loopback:
 * what the page shows is checked against what the backends received and what /config_dump says.
 * Controls are found by their accessible names, as a person (or a screen reader) finds them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { artifactPath, launchBrowser, watchProblems } from '../support/browser.ts';
import { requestVia, waitFor } from '../support/index.ts';
import { ROUTE, startConsoleGateway, type ConsoleGateway } from './fixture.ts';

/** The overview row of `role` (`primary`/`mirror`) in the route's row group; cells by column header. */
function row(page: Page, role: 'primary' | 'mirror'): Locator {
  return page.locator(`tbody[data-route="${ROUTE}"]`).getByRole('row').filter({ has: page.getByRole('cell', { name: role, exact: true }) });
}

async function cellNumber(page: Page, role: 'primary' | 'mirror', column: number): Promise<number> {
  const text = await row(page, role).getByRole('cell').nth(column).innerText();
  return Number(text.replace(/,/g, ''));
}

const QPS = 2;

/** Copies (or requests) a backend received per second over the last `seconds`, by its own clock. */
function receivedRate(backend: ConsoleGateway['shadow'], seconds: number): number {
  const since = Date.now() - seconds * 1000;
  return backend.received.filter((r) => r.at >= since).length / seconds;
}

async function routes(admin: string): Promise<{ id: string; mirrors: { cluster: string; perMillion: number; origin: string }[]; override: unknown }[]> {
  return (await requestVia(`${admin}/api/routes`)).json<{ routes: never[] }>().routes;
}

async function openDashboard(page: Page, admin: string): Promise<void> {
  await page.setViewportSize({ width: 1440, height: 1100 });
  await page.goto(`${admin}/dashboard`);
  await row(page, 'primary').waitFor();
}

describe('dashboard in Chromium', () => {
  test('loads cleanly; at 100% the page shows primary and mirror QPS within 10% of each other and of the shadow backend', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === null) return;
    const gw = await startConsoleGateway(t, { mirrorPct: 100 });
    gw.traffic(40);
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await openDashboard(page, gw.admin);
    // Wait for a full 10-second QPS window of steady traffic, then compare what the page says for one
    // second (read in one go) with what the shadow backend received over the same ten seconds.
    const agreed = await waitFor(
      async () => {
        const shown = await page.evaluate((route) => {
          const table = document.getElementById('overview')!;
          const rows = [...table.querySelectorAll(`tbody[data-route="${route}"] tr`)].filter((r) => r.querySelector('td.role'));
          const qps = (role: string) => Number(rows.find((r) => r.querySelector('td.role')!.textContent === role)?.children[2]?.textContent);
          return { through: Number(table.dataset.through), primary: qps('primary'), mirror: qps('mirror') };
        }, ROUTE);
        if (!(shown.primary > 0) || Number.isNaN(shown.through)) return null;
        const from = (shown.through - 9) * 1000;
        const backend = gw.shadow.received.filter((r) => r.at >= from && r.at < (shown.through + 1) * 1000).length / 10;
        const { primary, mirror } = shown;
        const fullWindow = gw.shadow.received.length > 0 && gw.shadow.received[0]!.at < from;
        const agree = Math.abs(mirror - primary) <= 0.1 * primary && Math.abs(backend - mirror) <= 0.1 * mirror;
        return fullWindow && agree ? { ...shown, backend } : null;
      },
      { timeoutMs: 30_000, intervalMs: 250, description: 'primary, mirror and backend rates agree within 10% over a full window' },
    );
    assert.ok(agreed.primary >= 5, JSON.stringify(agreed));
    const share = await row(page, 'mirror').getByRole('cell').first().innerText();
    assert.match(share, /configured 100%/);
    assert.match(share, /consistent/);
    assert.doesNotMatch(share, /inconsistent/);
    // The charts are drawn (uPlot canvases) with legends naming the clusters.
    assert.equal(await page.locator('#chart-qps canvas').count(), 1);
    assert.match(await page.locator('#chart-qps .u-legend').innerText(), /primary httpbin\.default :8000[\s\S]*mirror httpbin-next\.default :80/);
    await page.screenshot({ path: artifactPath('dashboard-under-load.png'), fullPage: true });
    problems.stop();
    assert.deepEqual(problems.list, []);
  });

  test('applying 50% in the editor changes what the shadow receives and what the page shows; Reset to config restores 100%', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === null) return;
    const gw = await startConsoleGateway(t, { mirrorPct: 100 });
    gw.traffic(60);
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await openDashboard(page, gw.admin);
    assert.equal(await page.getByLabel('Destination Service').inputValue(), 'httpbin-next.default.svc.cluster.local');

    await page.getByLabel('Traffic Mirror Percentage (%)').fill('50');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(/Applied: config/).waitFor();
    const listed = (await routes(gw.admin)).find((r) => r.id === ROUTE)!;
    assert.deepEqual(listed.mirrors.map((m) => [m.origin, m.perMillion]), [['override', 500_000]]);
    assert.match((await requestVia(`${gw.admin}/config_dump`)).text(), /"numerator": 500000/);

    // Measured at the backends from here on: about half the primary's requests reach the shadow.
    gw.primary.reset();
    gw.shadow.reset();
    await waitFor(() => gw.primary.count >= 300, { timeoutMs: 15_000, description: '300 primary requests after the change' });
    const [n, k] = [gw.primary.count, gw.shadow.count];
    const sd = Math.sqrt(n * 0.25);
    assert.ok(Math.abs(k - n / 2) <= 4 * sd + 3, `shadow got ${k} of ${n} primary requests, expected about half`);

    // The page shows it within a few seconds: the override badge, the configured share, the mirror's QPS at half.
    assert.equal(await page.getByText('runtime override').first().isVisible(), true);
    await waitFor(async () => /configured 50%/.test(await row(page, 'mirror').getByRole('cell').first().innerText()), {
      timeoutMs: 5_000,
      description: 'the mirror row says 50%',
    });
    await waitFor(
      async () => {
        const primary = await cellNumber(page, 'primary', QPS);
        const mirror = await cellNumber(page, 'mirror', QPS);
        return primary > 0 && Math.abs(mirror / primary - 0.5) <= 0.15;
      },
      { timeoutMs: 15_000, description: 'mirror QPS about half the primary QPS on the page' },
    );

    await page.getByRole('button', { name: 'Reset to config' }).click();
    await page.getByText(/Reset to the configured policy/).waitFor();
    const reset = (await routes(gw.admin)).find((r) => r.id === ROUTE)!;
    assert.equal(reset.override, null);
    assert.deepEqual(reset.mirrors.map((m) => [m.origin, m.perMillion]), [['config', 1_000_000]]);
    assert.equal(await page.getByRole('button', { name: 'Reset to config' }).isVisible(), false);
    gw.primary.reset();
    gw.shadow.reset();
    await waitFor(() => gw.primary.count >= 60, { timeoutMs: 10_000 });
    await waitFor(() => gw.shadow.count >= gw.primary.count - 2, { timeoutMs: 5_000, description: 'every request mirrored again' });
    await waitFor(async () => /configured 100%/.test(await row(page, 'mirror').getByRole('cell').first().innerText()), { timeoutMs: 5_000 });
    problems.stop();
    assert.deepEqual(problems.list, []);
  });

  test('a TCP service, or no port on a multi-port service, shows the API error next to Port Number and changes nothing', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === null) return;
    const gw = await startConsoleGateway(t, { mirrorPct: 100 });
    gw.traffic(20);
    const page = await browser.newPage();
    // The refused PUTs answer 400: expected here, anything else is a problem.
    const problems = watchProblems(page, (url, status) => status === 400 && url.includes('/mirror'));
    await openDashboard(page, gw.admin);
    const dumpBefore = (await requestVia(`${gw.admin}/config_dump`)).text();
    const host = page.getByLabel('Destination Service');
    const port = page.getByLabel('Port Number');

    // The TCP-only service is listed, disabled, with the reason.
    const tcpOption = host.locator('option', { hasText: 'tcp-echo' });
    assert.equal(await tcpOption.isDisabled(), true);
    assert.match(await tcpOption.innerText(), /TCP only: a mirror needs HTTP or HTTPS/);

    // Multi-port service: no Dynamic Port; leaving the port unchosen is refused by the API.
    await host.selectOption('two-ports.default.svc.cluster.local');
    assert.equal(await port.locator('option', { hasText: 'Dynamic Port' }).count(), 0);
    assert.equal(await port.inputValue(), '');
    await page.getByRole('button', { name: 'Apply' }).click();
    const portError = page.locator('#mirror-port-error');
    await portError.getByText(/dynamic port is not available for multi-port services/).waitFor();
    assert.equal(await port.getAttribute('aria-invalid'), 'true');
    assert.match((await port.getAttribute('aria-describedby')) ?? '', /mirror-port-error/);
    await page.getByText('Not applied: nothing changed.').waitFor();

    // A page with a stale service list could still send the TCP service: the API's answer is shown.
    await host.evaluate((select: HTMLSelectElement) => {
      const option = [...select.options].find((o) => o.value.startsWith('tcp-echo'))!;
      option.disabled = false;
      select.value = option.value;
      select.dispatchEvent(new Event('change'));
    });
    assert.equal(await port.inputValue(), 'dynamic', 'a single-port service offers Dynamic Port');
    await page.getByRole('button', { name: 'Apply' }).click();
    await portError.getByText(/only HTTP and HTTPS services can be mirror destinations/).waitFor();

    const dumpAfter = (await requestVia(`${gw.admin}/config_dump`)).text();
    assert.equal(dumpAfter, dumpBefore, '/config_dump is unchanged');
    const listed = (await routes(gw.admin)).find((r) => r.id === ROUTE)!;
    assert.equal(listed.override, null);
    assert.equal(gw.tcp.count + gw.twoPorts.count, 0, 'neither refused destination received anything');
    problems.stop();
    assert.deepEqual(problems.list, []);
  });

  test('with an admin token the page asks for it once and then works; without it the API answers 401', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === null) return;
    const token = 'console-test-token';
    const gw = await startConsoleGateway(t, { runtime: { admin: { host: '127.0.0.1', port: 0, token } } });
    gw.traffic(20);
    assert.equal((await requestVia(`${gw.admin}/api/routes`)).status, 401);
    assert.equal((await requestVia(`${gw.admin}/api/timeseries`)).status, 401);
    assert.equal((await requestVia(`${gw.admin}/api/routes`, { headers: { authorization: `Bearer ${token}` } })).status, 200);

    const page = await browser.newPage();
    // The first API calls are answered 401 before the token is entered: that is the flow under test.
    const problems = watchProblems(page, (_url, status) => status === 401);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.goto(`${gw.admin}/dashboard`);
    const input = page.getByLabel('Admin token');
    await input.waitFor();
    await input.fill('wrong');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByText('That token was not accepted.').waitFor();
    await input.fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
    await row(page, 'primary').waitFor();
    await waitFor(async () => (await cellNumber(page, 'primary', QPS)) > 0, { timeoutMs: 10_000, description: 'live numbers' });
    // A change from the page carries the token too.
    await page.getByLabel('Traffic Mirror Percentage (%)').fill('25');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(/Applied: config/).waitFor();
    problems.stop();
    assert.deepEqual(problems.list, []);
    // Kept for the tab: a reload does not ask again.
    // The old page's stream is cut by the reload itself.
    const afterReload = watchProblems(page, () => false, (url, error) => url.endsWith('/api/stream') && error === 'net::ERR_ABORTED');
    await page.reload();
    await row(page, 'primary').waitFor();
    assert.equal(await page.getByLabel('Admin token').isVisible(), false);
    afterReload.stop();
    assert.deepEqual(afterReload.list, []);
  });

  test('a cross-site PUT is refused and changes nothing', async (t) => {
    const gw = await startConsoleGateway(t, { mirrorPct: 100 });
    const body = JSON.stringify({ destination: { host: 'httpbin-next', port: 80 }, percentage: 1, enabled: true });
    const attempts: Record<string, string>[] = [
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
    ];
    for (const headers of attempts) {
      const answer = await requestVia(`${gw.admin}/api/routes/${ROUTE}/mirror`, { method: 'PUT', body, headers });
      assert.equal(answer.status, 403, answer.text());
    }
    assert.equal((await routes(gw.admin)).find((r) => r.id === ROUTE)!.override, null);
  });
  test('the Differences view shows the comparison counts, the differing fields and a sample side by side', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === null) return;
    const gw = await startConsoleGateway(t, { mirrorPct: 100, compare: true });
    gw.traffic(10);
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await openDashboard(page, gw.admin);
    const view = page.locator('#differences');
    await view.locator('.diff-sample').waitFor({ timeout: 15_000 });
    // The copy's Host is the shadow's (`httpbin-shadow`), so every echoed body differs at $.headers.host.
    const text = await waitFor(
      async () => {
        const shown = await view.innerText();
        return /differ [1-9]/.test(shown) && /\$\.headers\.host/.test(shown) ? shown : null;
      },
      { timeoutMs: 15_000, description: 'the view lists the differing field' },
    );
    assert.match(text, /match 0/);
    assert.match(await view.locator('.diff-side-by-side figcaption').first().innerText(), /Primary 200/);
    assert.match(await view.locator('.diff-side-by-side pre').first().innerText(), /"host": "httpbin"/);
    assert.match(await view.locator('.diff-side-by-side pre').nth(1).innerText(), /"host": "httpbin-shadow"/);
    await page.screenshot({ path: artifactPath('dashboard-differences.png'), fullPage: true });
    problems.stop();
    assert.deepEqual(problems.list, []);
  });
});
