// Map benchmark (make bench-map): prints, does not assert. The main
// thread's CPU time (CDP Performance ThreadTime, so another process busy on
// the machine does not count) for a fixed scenario with the clock paused:
// 1,000 pods applied on 10 nodes, then `cluster advance 2s` x 15, each
// command's result drawn. Everything is seeded, so every run does the same
// work; the figure is what the engine, the map model and the drawing cost.
//
// BENCH_DISTS="before=/path/to/old/dist,after=dist" alternates builds in one
// run; BENCH_RUNS rounds (default 3).
import { serve, browser, dist } from './harness.mjs';
import path from 'node:path';
const builds = (process.env.BENCH_DISTS || `current=${dist}`).split(',').map((s) => {
  const [label, dir] = s.includes('=') ? s.split('=') : ['current', s];
  return { label, dir: path.resolve(dir), t: [], wall: [] };
});
for (const b of builds) b.server = await serve(b.dir);
const br = await browser();
const { page } = br;
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
const metric = async (name) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name)?.value;
async function run(cmd) {
  const n = await page.$$eval('.console-out .entry', (e) => e.length);
  await page.fill('.prompt input', cmd); await page.press('.prompt input', 'Enter');
  await page.waitForFunction((k) => document.querySelectorAll('.console-out .entry').length > k && !document.querySelector('.entry.running'), n, { polling: 'raf', timeout: 120_000 });
}
const yaml = `apiVersion: apps/v1
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
`;
const ROUNDS = Number(process.env.BENCH_RUNS || 3);
for (let i = 0; i < ROUNDS; i++) for (const b of builds) {
  await page.goto(b.server.url + '?bench'); await page.evaluate(() => localStorage.clear());
  await page.goto(b.server.url + '?bench'); await page.waitForSelector('.node');
  if (await page.$('button:has-text("Pause")')) await page.click('button:has-text("Pause")');
  for (const n of ['d', 'e', 'f', 'g', 'h', 'i', 'j']) await run(`cluster node add node-${n}`);
  await page.click('.editor .cm-content'); await page.keyboard.press('Control+A'); await page.keyboard.insertText(yaml);
  const t0 = await metric('ThreadTime'); const w0 = Date.now();
  await page.click('button.primary:has-text("Apply")');
  await page.waitForFunction(() => document.querySelectorAll('.pod').length >= 1000 || document.querySelector('.map-svg')?.getAttribute('aria-label')?.includes('1000 pods'), null, { polling: 'raf', timeout: 120_000 });
  for (let k = 0; k < 15; k++) await run('cluster advance 2s');
  b.t.push((await metric('ThreadTime')) - t0); b.wall.push(Date.now() - w0);
  b.last = await page.$eval('.map-svg', (e) => e.getAttribute('aria-label'));
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const b of builds) console.log(`${b.label.padEnd(8)} main-thread CPU median ${(med(b.t) * 1000).toFixed(0)} ms [${b.t.map((x) => (x * 1000).toFixed(0)).join(', ')}]  wall median ${med(b.wall)} ms  | ${b.last}`);
await br.close(); for (const b of builds) await b.server.close();
