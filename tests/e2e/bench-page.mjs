// Page benchmark (make bench-page): prints, does not assert.
//  * gzip transfer size of everything the page loads (wasm, JS glue,
//    editor bundle, CSS, HTML);
//  * time to the first cluster frame (navigation start -> nodes drawn);
//  * frame times while 1,000 pods are created, scheduled and started on
//    ten nodes at 10x speed (requestAnimationFrame deltas over 8 s).
import { serve, browser, dist } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

const files = walk(dist).filter((f) => /\.(wasm|js|css|html)$/.test(f) && !f.endsWith('sw.js') && !f.endsWith('embed-example.html'));
let total = 0;
console.log('file                                                   bytes      gzip');
for (const f of files) {
  const raw = fs.readFileSync(f);
  const gz = zlib.gzipSync(raw, { level: 9 }).length;
  total += gz;
  console.log(`${path.relative(dist, f).padEnd(50)} ${String(raw.length).padStart(9)} ${String(gz).padStart(9)}`);
}
console.log(`transfer size (gzip, all files)                              ${String(total).padStart(9)}`);

const server = await serve();
const b = await browser();
const { page } = b;
const firstFrames = [];
for (let i = 0; i < 3; i++) {
  await page.goto(server.url + '?bench', { waitUntil: 'commit' });
  await page.evaluate(() => localStorage.clear());
  await page.goto(server.url + '?bench', { waitUntil: 'commit' });
  await page.waitForFunction(() => document.querySelector('.node'), null, { polling: 'raf', timeout: 60_000 });
  firstFrames.push(await page.evaluate(() => performance.now()));
}
firstFrames.sort((a, b) => a - b);
console.log(`time to first cluster frame: median ${firstFrames[1].toFixed(0)} ms (runs: ${firstFrames.map((x) => x.toFixed(0)).join(', ')})`);

async function run(cmd) {
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}
for (const n of ['d', 'e', 'f', 'g', 'h', 'i', 'j']) await run(`cluster node add node-${n}`);
await page.click('.editor .cm-content');
await page.keyboard.press('Control+A');
await page.keyboard.insertText(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: big
spec:
  replicas: 1000
  selector:
    matchLabels:
      app: big
  template:
    metadata:
      labels:
        app: big
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
`);
await page.selectOption('.speed select', '10x');
await page.click('button.primary:has-text("Apply")');
const frames = await page.evaluate(() => new Promise((done) => {
  const out = [];
  let last = performance.now();
  const end = last + 8000;
  function f(t) {
    out.push(t - last);
    last = t;
    if (t < end) requestAnimationFrame(f); else done(out);
  }
  requestAnimationFrame(f);
}));
const pods = await page.$$eval('.pod', (p) => p.length);
const ready = await page.$$eval('.pod.ready', (p) => p.length);
frames.sort((a, b) => a - b);
const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))].toFixed(1);
console.log(`frames while 1000 pods animate (8 s, 10x): ${frames.length} frames, p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${frames[frames.length - 1].toFixed(1)} ms; pods drawn ${pods}, ready ${ready}`);
// Engine throughput in wasm: settle the 1000-pod Deployment from where it
// is (8 s of animation in), timed around the console command.
async function timed(cmd) {
  const n = await page.$$eval('.console-out .entry', (e) => e.length);
  const t0 = await page.evaluate(() => performance.now());
  await run(cmd);
  await page.waitForFunction((k) => document.querySelectorAll('.console-out .entry').length > k, n, { polling: 'raf', timeout: 300_000 });
  return (await page.evaluate(() => performance.now())) - t0;
}
await page.click('button:has-text("Pause")');
const settleDeploy = await timed('cluster settle');
console.log(`wasm engine: settling the 1000-pod Deployment took ${settleDeploy.toFixed(0)} ms (${await lastOut()})`);
async function lastOut() {
  return (await page.$$eval('.console-out .entry .out', (e) => e.length ? e[e.length - 1].textContent : '')).trim();
}
await b.close();
await server.close();
