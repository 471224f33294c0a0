// <kubarium-cluster> benchmark (make bench-embed): prints, does not assert.
//  * the bytes a docs page loads to show one element (gzip -9 of each file
//    it fetched), before its first frame and after (the explain table);
//  * time to the element's first frame (navigation start -> nodes drawn in
//    its shadow root), for one element, for three, and for the full page
//    in the same run (interleaved), median of BENCH_RUNS.
import { serve, browser, dist } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';

const RUNS = Number(process.env.BENCH_RUNS || 5);
const yaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 3
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25`;
const docs = (n) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>bench</title>
<script type="module" src="kubarium.js"></script></head><body>
${Array.from({ length: n }, (_, i) => `<kubarium-cluster id="k${i}" height="300" autoplay>${yaml}</kubarium-cluster>`).join('\n')}
</body></html>`;

// The docs pages beside dist/'s files (linked, not copied).
const site = fs.mkdtempSync(path.join(os.tmpdir(), 'kubarium-bench-embed-'));
for (const f of fs.readdirSync(dist)) fs.symlinkSync(path.join(dist, f), path.join(site, f));
for (const n of [1, 3]) fs.writeFileSync(path.join(site, `bench-embed-${n}.html`), docs(n));
const server = await serve(site);
const br = await browser({ viewport: { width: 1280, height: 1000 } });
const { page } = br;

// Bytes: what one element's page fetched (gzip -9, as scripts/sizes.sh counts).
const fetched = [];
page.on('response', (r) => fetched.push({ url: r.url(), at: Date.now() }));
await page.goto(server.url + 'bench-embed-1.html');
await page.waitForFunction(() => document.getElementById('k0').shadowRoot?.querySelector('.node'), null, { timeout: 60_000 });
const drawnAt = Date.now();
await page.waitForTimeout(2000);
let before = 0, after = 0;
console.log('file fetched to show one element                              bytes      gzip');
for (const f of fetched) {
  const rel = decodeURIComponent(new URL(f.url).pathname).replace(/^\//, '');
  const file = path.join(dist, rel);
  if (!rel || !fs.existsSync(file)) continue;
  const raw = fs.readFileSync(file);
  const gz = execFileSync('gzip', ['-9', '-c', file], { maxBuffer: 1 << 26 }).length; // as scripts/sizes.sh counts
  const late = f.at > drawnAt || rel === 'explain_data.json';
  if (late) after += gz; else before += gz;
  console.log(`${(rel + (late ? ' (after the first frame)' : '')).padEnd(56)} ${String(raw.length).padStart(9)} ${String(gz).padStart(9)}`);
}
console.log(`before the first frame (gzip)                                      ${String(before).padStart(9)}`);
console.log(`after it (gzip)                                                    ${String(after).padStart(9)}`);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const runs = { 'one element': [], 'three elements (all drawn)': [], 'full page (index.html)': [] };
for (let i = 0; i < RUNS; i++) {
  await page.goto(server.url + 'bench-embed-1.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => document.getElementById('k0')?.shadowRoot?.querySelector('.node'), null, { polling: 'raf', timeout: 60_000 });
  runs['one element'].push(await page.evaluate(() => performance.now()));
  await page.goto(server.url + 'bench-embed-3.html', { waitUntil: 'commit' });
  await page.waitForFunction(() => [0, 1, 2].every((i) => document.getElementById(`k${i}`)?.shadowRoot?.querySelector('.node')), null, { polling: 'raf', timeout: 60_000 });
  runs['three elements (all drawn)'].push(await page.evaluate(() => performance.now()));
  await page.goto(server.url + '?bench', { waitUntil: 'commit' });
  await page.evaluate(() => localStorage.clear());
  await page.goto(server.url + '?bench', { waitUntil: 'commit' });
  await page.waitForFunction(() => document.querySelector('.node'), null, { polling: 'raf', timeout: 60_000 });
  runs['full page (index.html)'].push(await page.evaluate(() => performance.now()));
}
console.log(`\nfirst frame (navigation -> nodes drawn), median of ${RUNS}`);
for (const [k, v] of Object.entries(runs)) console.log(`${k.padEnd(30)} ${median(v).toFixed(0).padStart(6)} ms   (${v.map((x) => x.toFixed(0)).join(', ')})`);
await br.close();
await server.close();
fs.rmSync(site, { recursive: true, force: true });
