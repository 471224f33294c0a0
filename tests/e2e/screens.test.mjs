// The scenarios a class sees, at a laptop's, a projector's and a phone's
// size, light and dark: screenshots to look at (target/e2e-screenshots/
// screens-*.png), and nothing cut or overflowing in any of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, screenshot, overflowing } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

const SIZES = [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }, { width: 390, height: 844 }];
const THEMES = ['light', 'dark'];

async function run(page, cmd) {
  // As a person at a terminal: the next line is typed once the last one is
  // done (Enter while a command runs is refused and the line stays typed).
  await page.waitForSelector('.entry.running', { state: 'detached' });
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}

const SCENARIOS = {
  // The Deployment without a volume: rows in the container layer, then a new pod without them.
  async 'deployment-loses-data'(page) {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    await page.selectOption('.examples', 'seed000-deployment-loses-data#all');
    await page.click('button.primary:has-text("Apply")');
    await page.click('button:has-text("Settle")');
    await page.click('.pod');
    await page.click('.inspector button:has-text("Write data")');
    await page.waitForSelector('.pod .own-data');
  },
  // The StatefulSet node failure: a dead node, its pod Terminating, the Why.
  async 'statefulset-node-failure'(page) {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    await page.selectOption('.examples', 'statefulset-basics#all');
    await page.click('button.primary:has-text("Apply")');
    await page.click('button:has-text("Settle")');
    await run(page, 'cluster node stop node-b');
    await run(page, 'cluster advance 6m');
    await page.click('.node[data-node="node-b"] .node-name');
  },
  // A lesson with its question open.
  async 'lesson-prediction'(page) {
    await page.goto(server.url + '?lesson=seed000-statefulset-local-path');
    await page.waitForSelector('.node');
    await page.click('.lessons button.next');
    await page.click('.lessons button.next');
    await page.waitForSelector('.predict');
  },
  // The Jobs lesson's manifests applied and settled: Jobs that finished or
  // failed, a DaemonSet's pod on every node, the Why of a daemon pod.
  async 'jobs-and-daemonsets'(page) {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    // Jobs and DaemonSets are checked against the schema table, fetched
    // after the first frame: kubectl explain answers once it is there.
    await run(page, 'kubectl explain job.spec.completions');
    await page.waitForFunction(() => /FIELD: completions/.test(document.querySelector('.console-out')?.textContent ?? ''), null, { timeout: 20_000 });
    await page.selectOption('.examples', 'lesson-jobs-cronjobs-daemonsets#all');
    await page.click('button.primary:has-text("Apply")');
    await page.click('button:has-text("Settle")');
    await page.click('.pod:has-text("log-agent")');
  },
  // The HPA walkthrough under load: the load generator's requests drawn to
  // the php-apache pods that answer them, each pod's CPU meter, the HPA's
  // replicas on the map.
  async 'hpa-under-load'(page) {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    await run(page, 'kubectl explain hpa.spec.maxReplicas');
    await page.waitForFunction(() => /FIELD: maxReplicas/.test(document.querySelector('.console-out')?.textContent ?? ''), null, { timeout: 20_000 });
    await run(page, 'cluster addon install metrics-server');
    await page.selectOption('.examples', 'lesson-hpa-walkthrough#all');
    await page.click('button.primary:has-text("Apply")');
    await run(page, 'kubectl autoscale deployment php-apache --cpu=50% --min=1 --max=10');
    await run(page, 'cluster advance 90s');
    await run(page, 'kubectl run load-generator --image=busybox:1.28 --restart=Never -- /bin/sh -c "while sleep 0.01; do wget -q -O- http://php-apache; done"');
    await run(page, 'cluster advance 90s');
    await page.waitForSelector('.entry.running', { state: 'detached' });
    await page.waitForFunction(() => document.querySelectorAll('.pod[data-pod^="php-apache"]').length >= 4, null, { timeout: 20_000 });
    const flows = await page.$$eval('.flow', (f) => f.length);
    assert.ok(flows >= 4, `the load generator's requests go to every php-apache pod (${flows} lines)`);
    assert.ok((await page.$$eval('.pod-cpu', (m) => m.length)) >= 4, 'every measured pod has a CPU meter');
    await page.click('.pod[data-pod="load-generator"]');
  },
  async compare(page) {
    await page.goto(server.url + '?compare');
    await page.waitForSelector('.compare-side .node');
    await page.click('button:has-text("Scale to 3")');
    await page.waitForTimeout(2500);
    await page.click('button:has-text("Stop the first pod")');
    await page.waitForTimeout(2500);
  },
  async embed(page) {
    await page.goto(server.url + '?embed&lesson=seed000-deployment-loses-data');
    await page.waitForSelector('.node');
    for (let i = 0; i < 4; i++) await page.click('.lessons button.next');
  },
};

for (const [name, play] of Object.entries(SCENARIOS)) {
  test(`${name}: every size and theme, nothing cut`, async () => {
    for (const viewport of SIZES) {
      for (const colorScheme of THEMES) {
        const b = await browser({ viewport, colorScheme });
        try {
          await play(b.page);
          await b.page.waitForTimeout(700);
          const where = `${name} ${viewport.width}x${viewport.height} ${colorScheme}`;
          assert.deepEqual(await overflowing(b.page), [], where);
          await screenshot(b.page, `screens-${name}-${viewport.width}x${viewport.height}-${colorScheme}`);
          assert.deepEqual(b.errors, [], where);
        } finally {
          await b.close();
        }
      }
    }
  });
}
