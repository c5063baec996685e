/**
 * The dashboard's static files: the page, its script and its stylesheet. They hold no data, so they are
 * served without the admin token (a browser cannot attach one to a navigation); the page asks for the
 * token and sends it on every API call.
 */
import { readFile } from 'node:fs/promises';
import type { PageBundle } from './bundle.ts';
import { DASHBOARD_HTML } from './page-html.ts';

export interface Asset {
  readonly type: string;
  readonly body: string;
}

/** Paths of the static files, all under /dashboard. */
export const DASHBOARD_PATH = '/dashboard';

/** Built package: the bundle `npm run build` wrote next to this module. From the sources: bundled now. */
async function loadBundle(): Promise<PageBundle> {
  if (import.meta.url.endsWith('.ts')) {
    const { bundlePage } = await import('./bundle.ts');
    return bundlePage();
  }
  const read = (name: string) => readFile(new URL(`./page/${name}`, import.meta.url), 'utf8');
  return { js: await read('app.js'), css: await read('style.css') };
}

export class DashboardAssets {
  #bundle: Promise<PageBundle> | null = null;

  /** The asset at `path`, or null when `path` is not one of the dashboard's. */
  async get(path: string): Promise<Asset | null> {
    switch (path) {
      case DASHBOARD_PATH:
      case `${DASHBOARD_PATH}/`:
        return { type: 'text/html; charset=utf-8', body: DASHBOARD_HTML };
      case `${DASHBOARD_PATH}/app.js`:
        return { type: 'text/javascript; charset=utf-8', body: (await this.#load()).js };
      case `${DASHBOARD_PATH}/style.css`:
        return { type: 'text/css; charset=utf-8', body: (await this.#load()).css };
      default:
        return null;
    }
  }

  #load(): Promise<PageBundle> {
    // A failed bundle is not cached, so fixing a page source and reloading the browser retries.
    this.#bundle ??= loadBundle().catch((error: unknown) => {
      this.#bundle = null;
      throw error;
    });
    return this.#bundle;
  }
}

/** The headers every dashboard file carries: no framing (clickjacking), nothing loaded from elsewhere. */
export const ASSET_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
