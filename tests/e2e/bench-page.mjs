// Page benchmark (make bench-page): prints, does not assert.
//  * gzip transfer size of everything the page loads (wasm, JS glue,
//    editor bundle, CSS, HTML);
//  * time to the first cluster frame (navigation start -> nodes drawn);
//  * frame times while 1,000 pods are created, scheduled and started on
//    ten nodes at 10x speed (requestAnimationFrame deltas over 8 s);
//  * the wasm engine settling that Deployment.
//
// BENCH_DISTS="before=/path/to/old/dist,after=dist" measures several builds
// in one run, interleaved (first frames alternate between builds), so a
// before/after comparison does not depend on how busy the machine was.
import { serve, browser, dist } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const builds = (process.env.BENCH_DISTS || `current=${dist}`).split(',').map((s) => {
  const [label, dir] = s.includes('=') ? s.split('=') : ['current', s];
  return { label, dir: path.resolve(dir) };
});
const RUNS = Number(process.env.BENCH_RUNS || 5);

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

for (const b of builds) {
  const files = walk(b.dir).filter((f) => /\.(wasm|js|css|html)$/.test(f) && !f.endsWith('sw.js') && !f.endsWith('embed-example.html'));
  let total = 0;
  console.log(`\n[${b.label}] ${b.dir}\nfile                                                   bytes      gzip`);
  for (const f of files) {
    const raw = fs.readFileSync(f);
    const gz = zlib.gzipSync(raw, { level: 9 }).length;
    total += gz;
    console.log(`${path.relative(b.dir, f).padEnd(50)} ${String(raw.length).padStart(9)} ${String(gz).padStart(9)}`);
  }
  console.log(`transfer size (gzip, all files)                              ${String(total).padStart(9)}`);
  b.server = await serve(b.dir);
  b.first = [];
}

const br = await browser();
const { page } = br;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (let i = 0; i < RUNS; i++) {
  for (const b of builds) {
    await page.goto(b.server.url + '?bench', { waitUntil: 'commit' });
    await page.evaluate(() => localStorage.clear());
    await page.goto(b.server.url + '?bench', { waitUntil: 'commit' });
    await page.waitForFunction(() => document.querySelector('.node'), null, { polling: 'raf', timeout: 60_000 });
    b.first.push(await page.evaluate(() => performance.now()));
  }
}

async function run(cmd) {
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}
async function lastOut() {
  return (await page.$$eval('.console-out .entry .out', (e) => e.length ? e[e.length - 1].textContent : '')).trim();
}

for (const b of builds) {
  await page.goto(b.server.url + '?bench');
  await page.evaluate(() => localStorage.clear());
  await page.goto(b.server.url + '?bench');
  await page.waitForSelector('.node');
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
  b.pods = await page.$$eval('.pod', (p) => p.length);
  frames.sort((x, y) => x - y);
  const q = (p) => frames[Math.min(frames.length - 1, Math.floor(p * frames.length))];
  b.frames = { n: frames.length, p50: q(0.5), p95: q(0.95), max: frames[frames.length - 1] };
  await page.click('button:has-text("Pause")');
  const n = await page.$$eval('.console-out .entry', (e) => e.length);
  const t0 = await page.evaluate(() => performance.now());
  await run('cluster settle');
  await page.waitForFunction((k) => document.querySelectorAll('.console-out .entry').length > k, n, { polling: 'raf', timeout: 300_000 });
  b.settle = (await page.evaluate(() => performance.now())) - t0;
  b.settleOut = await lastOut();
}

console.log('\nbuild      first frame (median of ' + RUNS + ')   runs                         frames 1000 pods @10x (p50 / p95 / max)   pods drawn   wasm settle');
for (const b of builds) {
  console.log(`${b.label.padEnd(10)} ${median(b.first).toFixed(0).padStart(6)} ms               ${b.first.map((x) => x.toFixed(0)).join(', ').padEnd(28)} ${b.frames.p50.toFixed(1)} / ${b.frames.p95.toFixed(1)} / ${b.frames.max.toFixed(1)} ms (${b.frames.n} frames)   ${String(b.pods).padStart(5)}        ${b.settle.toFixed(0)} ms`);
}
await br.close();
for (const b of builds) await b.server.close();
