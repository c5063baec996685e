/**
 * The dashboard page's browser code, bundled with esbuild: `page/main.ts` (uPlot included) and
 * `page/style.css` (uPlot's stylesheet included), so the gateway serves every asset itself and the page
 * works offline. Run from the sources, the admin server bundles in memory on the first request;
 * `npm run build` writes the same two files to `dist/console/page/` for the published package, which
 * has no esbuild.
 *
 * As a script (`node src/console/bundle.ts [OUTDIR]`) it writes the bundle, by default to dist/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PageBundle {
  readonly js: string;
  readonly css: string;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/** Bundles the page from its sources (needs the esbuild dev dependency). */
export async function bundlePage(): Promise<PageBundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: join(PAGE_DIR, 'main.ts'), style: join(PAGE_DIR, 'style.css') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'inline',
    write: false,
    outdir: '/bundle',
    logLevel: 'silent',
  });
  const file = (name: string) => result.outputFiles.find((f) => f.path.endsWith(name))?.text ?? '';
  return { js: file('app.js'), css: file('style.css') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? fileURLToPath(new URL('../../dist/console/page/', import.meta.url));
  const bundle = await bundlePage();
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'app.js'), bundle.js);
  await writeFile(join(outDir, 'style.css'), bundle.css);
  process.stdout.write(`console page bundled into ${join(dirname(join(outDir, 'x')), '')} (${bundle.js.length} + ${bundle.css.length} bytes)\n`);
}
