// Bundles src/editor.js with esbuild into ../editor.bundle.js (an ES module
// the wasm-bindgen glue imports). Run by scripts/setup.sh.
import { build } from 'esbuild';
await build({
  entryPoints: ['src/editor.js'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outfile: '../editor.bundle.js',
  legalComments: 'none',
  logLevel: 'warning',
});
