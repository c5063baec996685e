/**
 * `node:http`'s server constructor, loaded with `require` rather than `import`.
 *
 * An ESM import of `node:http` builds a namespace of every export, and reading them runs the lazy
 * `WebSocket`, `CloseEvent` and `MessageEvent` getters, which load Node's bundled copy of undici
 * (nodejs/node#59686). On Node 24 that costs 2.3 MB of heap and 13 MB of RSS for classes the gateway
 * never uses; `require` reads only the property asked for. Types still come from `import type`.
 */
import type * as NodeHttp from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const { createServer } = require('node:http') as typeof NodeHttp;
