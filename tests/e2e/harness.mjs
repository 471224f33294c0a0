// Shared plumbing for the end-to-end tests: serve dist/ over HTTP, start
// Debian's headless Chromium through playwright-core, collect console
// errors, save screenshots. Never downloads a browser.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dist = process.env.KUBARIUM_DIST || path.join(root, 'dist');
export const shots = path.join(root, 'target', 'e2e-screenshots');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.png': 'image/png', '.webmanifest': 'application/manifest+json', '.txt': 'text/plain; charset=utf-8', '.md': 'text/markdown; charset=utf-8',
};

/** Serves a folder on 127.0.0.1 at an ephemeral port. */
export async function serve(folder = dist) {
  if (!fs.existsSync(path.join(folder, 'index.html'))) {
    throw new Error(`${folder}/index.html is missing: build the page first (make dist)`);
  }
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.normalize(path.join(folder, decodeURIComponent(url.pathname)));
    if (!file.startsWith(folder)) { res.writeHead(403).end(); return; }
    try {
      if ((await fsp.stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await fsp.readFile(file);
      // As a CDN does: other origins may load it (module scripts, fetch, wasm need CORS).
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream', 'access-control-allow-origin': '*' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Starts Chromium with a fresh profile; returns { context, page, errors, close }. */
export async function browser({ viewport = { width: 1280, height: 720 }, colorScheme = 'light', reducedMotion = 'no-preference' } = {}) {
  const profile = await fsp.mkdtemp(path.join(os.tmpdir(), 'kubarium-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: chromiumArgs,
    viewport, colorScheme, reducedMotion,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  const watch = (p) => {
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text() + (m.location()?.url ? ` (${m.location().url})` : '')); });
    p.on('pageerror', (e) => errors.push(String(e)));
  };
  watch(page);
  context.on('page', watch);
  return {
    context, page, errors,
    close: async () => { await context.close(); await fsp.rm(profile, { recursive: true, force: true }); },
  };
}

/** Saves a screenshot under target/e2e-screenshots/ and returns its path. */
export async function screenshot(page, name) {
  await fsp.mkdir(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * What is cut or overflows on the page: SVG texts outside their pod, disk,
 * node, zone or area box; panel heads, hints, tables and labels wider than
 * their panel. Returns a list of descriptions (empty when all fits).
 */
export async function overflowing(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const t of document.querySelectorAll('.map-svg text')) {
      const box = t.closest('.pod, .disk, .node, .area, .zone')?.querySelector('.pod-box, .disk-box, .node-box, .area-box, .zone-box');
      if (!box) continue;
      const a = t.getBoundingClientRect(), b = box.getBoundingClientRect();
      if (a.width === 0) continue;
      if (a.right > b.right + 1 || a.left < b.left - 1) bad.push(`map text "${t.textContent}" (${Math.round(a.right - b.right)}px)`);
    }
    for (const el of document.querySelectorAll('.pane-head, .hint, .events, .examples-label, .lesson-head, .controls, .tools, .notice, .dialog .field')) {
      const pane = el.closest('.pane, .dialog') || el.parentElement;
      if (el.getBoundingClientRect().right > pane.getBoundingClientRect().right + 1) bad.push(`${el.className} wider than its panel`);
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push(`the page scrolls sideways (${document.documentElement.scrollWidth}px)`);
    return bad;
  });
}
