#!/usr/bin/env node
// The <kubarium-cluster> element's files.
//
//   node scripts/embed.mjs stage             Trunk's post_build hook: writes kubarium.js
//                                            (www/embed/kubarium.js with the build's hashed
//                                            file names) and kubarium.d.ts into the build.
//   node scripts/embed.mjs package DIST OUT  the npm package from a built dist/: the element,
//                                            the wasm and its glue, the style sheet, the
//                                            types, a README; `npm pack OUT` makes the tarball.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'www', 'embed');

/** The build's file names: the wasm-bindgen glue, the wasm, the style sheet. */
function built(dir) {
  const names = fs.readdirSync(dir);
  const one = (re, what) => {
    const found = names.filter((n) => re.test(n));
    if (found.length !== 1) throw new Error(`${dir}: expected one ${what}, found ${found.join(', ') || 'none'}`);
    return found[0];
  };
  return {
    glue: one(/^kubarium-web-[0-9a-f]+\.js$/, 'wasm-bindgen glue (kubarium-web-*.js)'),
    wasm: one(/^kubarium-web-[0-9a-f]+_bg\.wasm$/, 'wasm (kubarium-web-*_bg.wasm)'),
    css: one(/^style-[0-9a-f]+\.css$/, 'style sheet (style-*.css)'),
  };
}

/** kubarium.js for a build; `app`: the JS expression for the full page's address. */
function element(files, app) {
  let js = fs.readFileSync(path.join(src, 'kubarium.js'), 'utf8');
  for (const [k, v] of [['GLUE', files.glue], ['WASM', files.wasm], ['CSS', files.css]]) {
    js = js.replaceAll(`__KUBARIUM_${k}__`, `./${v}`);
  }
  js = js.replace('__KUBARIUM_APP__', app);
  if (/__KUBARIUM_/.test(js)) throw new Error('kubarium.js: a placeholder was left');
  return js;
}

function stage() {
  const dir = process.env.TRUNK_STAGING_DIR;
  if (!dir) throw new Error('stage: run by Trunk (TRUNK_STAGING_DIR is not set)');
  const files = built(dir);
  fs.writeFileSync(path.join(dir, 'kubarium.js'), element(files, "new URL('./index.html', import.meta.url).href"));
  fs.copyFileSync(path.join(src, 'kubarium.d.ts'), path.join(dir, 'kubarium.d.ts'));
}

function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name), b = path.join(to, e.name);
    if (e.isDirectory()) copyTree(a, b);
    else fs.copyFileSync(a, b);
  }
}

function pack(dist, out) {
  const files = built(dist);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const f of [files.glue, files.wasm, files.css, 'explain_data.json', 'favicon.svg']) {
    fs.copyFileSync(path.join(dist, f), path.join(out, f));
  }
  if (fs.existsSync(path.join(dist, 'snippets'))) copyTree(path.join(dist, 'snippets'), path.join(out, 'snippets'));
  // The built-in lessons' transcripts, fetched by an element with a `lesson`.
  copyTree(path.join(dist, 'lessons'), path.join(out, 'lessons'));
  // In a bundled app there is no full page next to the script: `app` names one.
  fs.writeFileSync(path.join(out, 'kubarium.js'), element(files, 'null'));
  fs.copyFileSync(path.join(src, 'kubarium.d.ts'), path.join(out, 'kubarium.d.ts'));
  fs.copyFileSync(path.join(src, 'README.md'), path.join(out, 'README.md'));
  const cargo = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const field = (k) => cargo.match(new RegExp(`^${k} = "([^"]*)"`, 'm'))[1];
  const pkg = {
    name: 'kubarium',
    version: field('version'),
    description: 'A simulated Kubernetes 1.36 cluster for documentation pages: the <kubarium-cluster> element and a JavaScript API (WebAssembly, no server).',
    license: field('license'),
    type: 'module',
    main: './kubarium.js',
    module: './kubarium.js',
    types: './kubarium.d.ts',
    exports: { '.': { types: './kubarium.d.ts', default: './kubarium.js' }, './package.json': './package.json' },
    // Importing it defines the element.
    sideEffects: true,
    files: fs.readdirSync(out),
    keywords: ['kubernetes', 'kubectl', 'simulator', 'web-component', 'custom-element', 'webassembly', 'documentation'],
  };
  fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  return out;
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'stage') stage();
  else if (cmd === 'package') console.log(pack(path.resolve(args[0] || 'dist'), path.resolve(args[1] || 'target/npm/kubarium')));
  else throw new Error('usage: embed.mjs stage | package DIST OUT');
} catch (e) {
  console.error(`embed.mjs: ${e.message}`);
  process.exit(1);
}
