// The npm package (`make package`): built from dist/, packed, installed into
// a throwaway folder as a docs site would, then used from a plain HTML page
// (with a Markdown page rendered by markdown-it, the ```kubarium convention)
// and from an app bundled by Vite. Nothing is downloaded: the tarball is
// local, Vite and markdown-it come from this folder's lockfile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { build } from 'vite';
import { serve, browser, screenshot, root, dist } from './harness.mjs';

let tmp;
let tarball;
let app;
before(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'kubarium-package-'));
  const pkg = path.join(tmp, 'kubarium');
  execFileSync('node', [path.join(root, 'scripts', 'embed.mjs'), 'package', dist, pkg], { stdio: 'pipe' });
  const name = execFileSync('npm', ['pack', pkg, '--pack-destination', tmp, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').pop();
  tarball = path.join(tmp, name);
  app = path.join(tmp, 'site');
  await fsp.mkdir(app);
  await fsp.writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'docs-site', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', tarball], { cwd: app, stdio: 'pipe' });
});
after(async () => { if (tmp) await fsp.rm(tmp, { recursive: true, force: true }); });

test('the package has its module, wasm, types and README, and nothing else of the site', async () => {
  const dir = path.join(app, 'node_modules', 'kubarium');
  const pkg = JSON.parse(await fsp.readFile(path.join(dir, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['.'].default, './kubarium.js');
  assert.equal(pkg.types, './kubarium.d.ts');
  const files = fs.readdirSync(dir);
  for (const f of ['kubarium.js', 'kubarium.d.ts', 'README.md', 'explain_data.json', 'favicon.svg']) assert.ok(files.includes(f), f);
  assert.ok(files.some((f) => f.endsWith('_bg.wasm')));
  assert.ok(!files.includes('index.html') && !files.includes('sw.js'), files.join());
  const readme = await fsp.readFile(path.join(dir, 'README.md'), 'utf8');
  assert.match(readme, /<kubarium-cluster/);
  assert.match(readme, /```kubarium/);
});

test('a plain HTML page: one script tag from node_modules, and a Markdown page\'s ```kubarium block', async () => {
  const md = await fsp.readFile(path.join(root, 'www', 'examples', 'markdown-example.md'), 'utf8');
  const body = new MarkdownIt().render(md);
  assert.match(body, /<pre><code class="language-kubarium">/);
  await fsp.writeFile(path.join(app, 'index.html'), `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>docs</title>
<script type="module" src="./node_modules/kubarium/kubarium.js"></script></head><body>${body}</body></html>`);
  const server = await serve(app);
  const { page, errors, close } = await browser({ viewport: { width: 1000, height: 900 } });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  try {
    await page.goto(server.url);
    const el = page.locator('kubarium-cluster');
    await el.waitFor();
    assert.equal(await page.locator('pre > code.language-kubarium').count(), 0, 'the block became the element');
    assert.equal(await el.getAttribute('height'), '440');
    assert.equal(await el.getAttribute('panes'), 'map console');
    await page.locator('kubarium-cluster .pod').first().waitFor({ timeout: 60_000 });
    await page.evaluate(() => document.querySelector('kubarium-cluster').settle());
    assert.equal(await page.locator('kubarium-cluster .pod[data-status="Running"]').count(), 2);
    assert.equal(await page.locator('kubarium-cluster .side-pane').count(), 0, 'panes="map console"');
    assert.match(await page.locator('kubarium-cluster .console-out').textContent(), /deployment.apps\/hello created/);
    assert.equal(Math.round((await el.boundingBox()).height), 440);
    // A fence's attribute lines set the element's attributes, and nothing else.
    const fenced = await page.evaluate(async () => {
      const { upgradeCodeBlocks } = await import('./node_modules/kubarium/kubarium.js');
      const pre = document.createElement('pre');
      pre.innerHTML = '<code class="language-kubarium"># kubarium: lesson=statefulset-basics onclick="window.pwned=1" height=300\n</code>';
      document.body.append(pre);
      const n = upgradeCodeBlocks(document);
      const el = document.body.lastElementChild;
      return { n, tag: el.tagName, lesson: el.getAttribute('lesson'), height: el.getAttribute('height'), onclick: el.hasAttribute('onclick') };
    });
    assert.deepEqual(fenced, { n: 1, tag: 'KUBARIUM-CLUSTER', lesson: 'statefulset-basics', height: '300', onclick: false });
    await screenshot(page, 'embed-3-markdown-page');
    assert.deepEqual(errors, []);
  } finally {
    await close();
    await server.close();
  }
});

test('a page bundled by Vite imports the package by name', async () => {
  const src = path.join(app, 'bundled');
  await fsp.cp(path.join(root, 'tests', 'e2e', 'fixtures', 'bundled'), src, { recursive: true });
  await build({ root: src, logLevel: 'warn', build: { outDir: path.join(src, 'dist'), emptyOutDir: true } });
  const out = path.join(src, 'dist');
  const assets = fs.readdirSync(path.join(out, 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `Vite emitted the wasm: ${assets}`);
  const server = await serve(out);
  const { page, errors, close } = await browser({ viewport: { width: 1000, height: 900 } });
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => window.headlessResult, null, { timeout: 60_000 });
    const h = await page.evaluate(() => window.headlessResult);
    assert.equal(h.error, undefined);
    assert.match(h.out, /node\/node-d\n/);
    assert.match(h.out, /\napi {4}2\/2 {5}2 /);
    assert.equal(h.pods, 2);
    assert.equal(await page.evaluate(() => window.kubariumElementClass), true);
    await page.locator('#bundled .node').first().waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#bundled .node').count(), 4);
    await page.click('#bundled .start-overlay button');
    await page.evaluate(() => document.getElementById('bundled').settle());
    assert.equal(await page.locator('#bundled .pod[data-status="Running"]').count(), 3);
    await screenshot(page, 'embed-4-vite-bundle');
    assert.deepEqual(errors, []);
  } finally {
    await close();
    await server.close();
  }
});

test('a copy on another origin, under a sub-path (as a CDN serves the package)', async () => {
  // The CDN: the installed package at /npm/kubarium@x/; the docs site: another origin.
  const cdnRoot = path.join(tmp, 'cdn');
  await fsp.mkdir(path.join(cdnRoot, 'npm'), { recursive: true });
  await fsp.writeFile(path.join(cdnRoot, 'index.html'), 'cdn');
  await fsp.symlink(path.join(app, 'node_modules', 'kubarium'), path.join(cdnRoot, 'npm', 'kubarium@x'));
  const cdn = await serve(cdnRoot);
  const docs = path.join(tmp, 'docs');
  await fsp.mkdir(path.join(docs, 'guide'), { recursive: true });
  await fsp.writeFile(path.join(docs, 'index.html'), 'docs');
  await fsp.copyFile(path.join(root, 'www', 'examples', 'scale-down.txt'), path.join(docs, 'guide', 'scale-down.txt'));
  await fsp.writeFile(path.join(docs, 'guide', 'index.html'), `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>guide</title>
<script type="module" src="${cdn.url}npm/kubarium@x/kubarium.js"></script></head><body>
<kubarium-cluster id="t" src="scale-down.txt" height="420"></kubarium-cluster></body></html>`);
  const site = await serve(docs);
  const { page, errors, close } = await browser({ viewport: { width: 1000, height: 800 } });
  try {
    assert.notEqual(new URL(cdn.url).origin, new URL(site.url).origin);
    await page.goto(site.url + 'guide/');
    await page.locator('#t .lessons.playing').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#t .lesson-head h3').textContent(), /Scaling a StatefulSet down keeps its claims/);
    await page.click('#t .lessons button.next');
    await page.locator('#t .console-out .entry:has-text("statefulset.apps/web created")').waitFor();
    assert.equal(await page.locator('#t .open-full').count(), 0, 'no full page to open from a package');
    assert.deepEqual(errors, []);
  } finally {
    await close();
    await site.close();
    await cdn.close();
  }
});
