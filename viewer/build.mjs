// Bundle the viewer, three.js and OrbitControls into one minified IIFE (global `PasdeuxViewer`) that
// pasdeux inlines into offline HTML pages. Run: npm install && npm run build
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../src/pasdeux/viz/assets/pasdeux-viewer.min.js', import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL('./src/viewer.js', import.meta.url))],
  bundle: true,
  minify: true,
  format: 'iife',
  globalName: 'PasdeuxViewer',
  target: ['es2020'],
  loader: { '.css': 'text' },
  legalComments: 'inline', // keeps three.js's @license MIT header in the bundle
  outfile: out,
});
console.log(`wrote ${out}`);
