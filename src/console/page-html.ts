/**
 * The dashboard's HTML: a static skeleton the page script fills in. Every control the editor needs has a
 * `<label>`, so the page is usable with a keyboard and a screen reader, and tests find controls by name.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shadowgate console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/style.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body>
<header class="top">
  <h1>shadowgate <span>console</span></h1>
  <dl class="facts" id="facts" aria-label="Gateway">
    <div><dt>Config</dt><dd id="config-version">…</dd></div>
    <div><dt>Loaded</dt><dd id="config-loaded">…</dd></div>
    <div><dt>Uptime</dt><dd id="uptime">…</dd></div>
    <div><dt>Workers</dt><dd id="workers">…</dd></div>
    <div><dt>Live</dt><dd id="live" class="live">connecting</dd></div>
  </dl>
</header>
<div id="rejected" class="rejected" role="alert" hidden></div>
<main>
  <section class="panel overview" aria-labelledby="overview-title">
    <div class="panel-head">
      <h2 id="overview-title">Routes</h2>
      <p class="hint">QPS over the last 10 s; the other columns over the last 60 s. Click a route to compare its clusters.</p>
    </div>
    <table id="overview">
      <thead><tr>
        <th scope="col">Cluster</th><th scope="col">Role</th><th scope="col" class="num">QPS</th>
        <th scope="col" class="num">Success %</th><th scope="col" class="num">p50 ms</th><th scope="col" class="num">p99 ms</th>
        <th scope="col" class="num">Dropped</th><th scope="col" class="num">Failed</th>
      </tr></thead>
    </table>
  </section>
  <div class="columns">
    <section class="panel charts" aria-labelledby="charts-title">
      <div class="panel-head">
        <h2 id="charts-title">Primary vs mirror</h2>
        <label class="route-pick">Route <select id="route-select"></select></label>
      </div>
      <figure><figcaption>Requests per second</figcaption><div id="chart-qps" class="chart"></div></figure>
      <figure><figcaption>Latency, p50 and p99</figcaption><div id="chart-latency" class="chart"></div></figure>
      <figure><figcaption>Responses by status class, and failures</figcaption><div id="chart-status" class="chart"></div></figure>
    </section>
    <section class="panel editor" aria-labelledby="editor-title">
      <div class="panel-head"><h2 id="editor-title">Traffic Mirror</h2></div>
      <p class="route-line">Route <code id="editor-route">…</code> <span id="override-badge" class="badge override" hidden>runtime override</span></p>
      <form id="mirror-form" novalidate>
        <div class="field">
          <label for="mirror-host">Destination Service</label>
          <select id="mirror-host" aria-describedby="mirror-host-error"></select>
          <p class="field-error" id="mirror-host-error"></p>
        </div>
        <div class="field">
          <label for="mirror-port">Port Number</label>
          <select id="mirror-port" aria-describedby="mirror-port-help mirror-port-error"></select>
          <p class="help" id="mirror-port-help"></p>
          <p class="field-error" id="mirror-port-error"></p>
        </div>
        <div class="field">
          <label for="mirror-subset">Subset</label>
          <select id="mirror-subset" aria-describedby="mirror-subset-error"></select>
          <p class="field-error" id="mirror-subset-error"></p>
        </div>
        <div class="field">
          <label for="mirror-percentage">Traffic Mirror Percentage (%)</label>
          <input id="mirror-percentage" type="number" min="0" max="100" step="any" inputmode="decimal" aria-describedby="mirror-percentage-error">
          <p class="field-error" id="mirror-percentage-error"></p>
        </div>
        <div class="field check">
          <input id="mirror-enabled" type="checkbox" aria-describedby="mirror-enabled-error">
          <label for="mirror-enabled">Enable</label>
          <p class="field-error" id="mirror-enabled-error"></p>
        </div>
        <p class="field-error" id="mirror-form-error"></p>
        <div class="actions">
          <button type="submit" id="mirror-apply">Apply</button>
          <button type="button" id="mirror-reset" class="secondary" hidden>Reset to config</button>
        </div>
        <p class="status" id="mirror-status" role="status"></p>
      </form>
      <p class="hint">Applies through <code>PUT /api/routes/{id}/mirror</code>, as a script would; a runtime override replaces the route's configured mirrors until reset.</p>
    </section>
    <section class="panel differences" aria-labelledby="differences-title">
      <div class="panel-head"><h2 id="differences-title">Differences</h2></div>
      <div id="differences"><p class="hint">…</p></div>
      <p class="hint">From <code>GET /api/diffs?route=</code> and <code>GET /api/diffs/{id}</code>: what response comparison found for this route's mirrors.</p>
    </section>
  </div>
</main>
<dialog id="token-dialog" aria-labelledby="token-title">
  <form id="token-form" method="dialog">
    <h2 id="token-title">Sign in to the admin API</h2>
    <p>This admin server requires a bearer token. It is kept for this tab only.</p>
    <label for="token-input">Admin token</label>
    <input id="token-input" type="password" autocomplete="off" required>
    <p class="field-error" id="token-error"></p>
    <button type="submit">Use token</button>
  </form>
</dialog>
</body>
</html>
`;
