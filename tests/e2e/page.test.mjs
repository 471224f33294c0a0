// The page as a person uses it: paste a tutorial's StatefulSet, apply, watch
// the pods come up one by one, scale, write and read data, stop a node,
// read why a pod stays Terminating, scrub time back, use the console, reload
// and find everything still there. Screenshots at each step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, screenshot } from './harness.mjs';

let server, b;
before(async () => { server = await serve(); b = await browser(); });
after(async () => { await b?.close(); await server?.close(); });

const STS = `apiVersion: v1
kind: Service
metadata:
  name: pg
spec:
  clusterIP: None
  selector:
    app: pg
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: pg
spec:
  serviceName: pg
  replicas: 2
  selector:
    matchLabels:
      app: pg
  template:
    metadata:
      labels:
        app: pg
    spec:
      containers:
      - name: postgres
        image: postgres:16
        env:
        - name: POSTGRES_PASSWORD
          value: secret
        volumeMounts:
        - name: data
          mountPath: /var/lib/postgresql/data
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: local-path
      resources:
        requests:
          storage: 1Gi
`;

async function paste(page, text) {
  await page.click('.editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function consoleRun(page, cmd) {
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}

const lastOutput = (page) => page.$$eval('.console-out .entry .out', (els) => els.length ? els[els.length - 1].textContent : '');
const podStatus = (page, name) => page.$eval(`.pod[data-pod="${name}"]`, (e) => e.dataset.status).catch(() => null);

test('paste, apply, scale, write data, kill a node, scrub, reload', async () => {
  const { page, errors } = b;
  await page.goto(server.url);
  await page.waitForSelector('.node');
  await page.waitForSelector('.editor .cm-content');

  // A typo: the apply fails, says where, and changes nothing.
  await paste(page, STS.replace('  replicas: 2', '  replica: 2'));
  await page.waitForSelector('.diag.warning');
  assert.match(await page.textContent('.diags'), /line 18:3: unknown field "spec.replica"/);
  await page.click('button.primary:has-text("Apply")');
  assert.match(await lastOutput(page), /strict decoding error: unknown field "spec.replica"/);
  // the server refused it: the warning becomes an error, in the same place
  await page.waitForSelector('.diag.error');
  assert.match(await page.textContent('.diag.error'), /line 18:3: unknown field "spec.replica"/);
  // the server's field errors land on their field
  await paste(page, STS.replace('  replicas: 2', '  replicas: -2'));
  await page.click('button.primary:has-text("Apply")');
  assert.match(await lastOutput(page), /is invalid: spec.replicas: Invalid value: -2/);
  await page.waitForSelector('.diag.error');
  assert.match(await page.textContent('.diag.error'), /^line 18:3: spec.replicas: Invalid value: -2: must be greater than or equal to 0$/);
  assert.equal(await page.$$eval('.pod', (p) => p.length), 0);
  await screenshot(page, 'page-1-failed-apply');

  // Fixed, applied with Ctrl+Enter: OrderedReady brings pg-0 up before pg-1 exists.
  await paste(page, STS);
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('.pod[data-pod="pg-0"]');
  assert.equal(await page.$('.pod[data-pod="pg-1"]'), null, 'pg-1 waits for pg-0');
  await screenshot(page, 'page-2-pg-0-starting');
  await page.selectOption('.speed select', '10x');
  await page.waitForFunction(() => document.querySelector('.pod[data-pod="pg-1"]')?.dataset.status === 'Running', null, { timeout: 60_000 });
  assert.equal(await podStatus(page, 'pg-0'), 'Running');
  // Each pod's claim is a disk on the pod's node, linked to it.
  for (const n of ['pg-0', 'pg-1']) {
    const node = await page.$eval(`.pod[data-pod="${n}"]`, (e) => e.getAttribute('aria-label'));
    assert.match(node, /ready 1\/1/);
    assert.ok(await page.$(`.disk[data-disk="data-${n}"]`), `disk of ${n}`);
  }
  assert.equal(await page.$$eval('.link', (l) => l.length), 2);
  await screenshot(page, 'page-3-two-replicas');

  // Inspect pg-0, write two rows through psql, read them back.
  await page.click('.pod[data-pod="pg-0"]');
  await page.waitForSelector('.inspector h2:has-text("Pod pg-0")');
  assert.match(await page.textContent('.inspect-body'), /pg-0 is Running on node-/);
  await page.click('.inspector button:has-text("Write data")');
  await page.click('.inspector button:has-text("Write data")');
  assert.match(await lastOutput(page), /INSERT 0 1/);
  await page.click('.inspector button:has-text("Read data")');
  assert.match(await lastOutput(page), /count \n-------\n {5}2\n\(1 row\)/);
  await page.waitForSelector('.disk[data-disk="data-pg-0"][data-data="postgres: 1 table, 2 rows"]');

  // Scale to 3 from the StatefulSet's inspector.
  await page.click('.inspector button:has-text("Select its statefulset")');
  await page.waitForSelector('.inspector h2:has-text("StatefulSet pg")');
  await page.fill('.param input', '3');
  await page.click('.param button:has-text("Run")');
  assert.match(await page.textContent('.console-out'), /kubectl scale statefulset pg --replicas=3/);
  await page.waitForFunction(() => document.querySelector('.pod[data-pod="pg-2"]')?.dataset.status === 'Running', null, { timeout: 60_000 });

  // Stop the node under pg-0: it looks dead, and after the eviction timeout pg-0 stays Terminating.
  const nodeOf0 = await page.$eval('.pod[data-pod="pg-0"]', (e) => {
    const r = e.getBoundingClientRect();
    return [...document.querySelectorAll('.node')].find((n) => { const b = n.getBoundingClientRect(); return r.left >= b.left && r.right <= b.right; })?.dataset.node;
  });
  assert.ok(nodeOf0, 'pg-0 sits inside a node');
  await page.click(`.node[data-node="${nodeOf0}"] .node-name`);
  await page.click('.inspector button:has-text("Stop (power off)")');
  await page.waitForSelector(`.node.stopped[data-node="${nodeOf0}"]`);
  await consoleRun(page, 'cluster advance 6m');
  await page.waitForFunction(() => document.querySelector('.pod[data-pod="pg-0"]')?.dataset.status === 'Terminating');
  await page.click('.pod[data-pod="pg-0"]');
  const why = await page.textContent('.inspect-body');
  assert.match(why, /powered off/);
  assert.match(why, /will not create a new pg-0/);
  await screenshot(page, 'page-4-node-dead-pod-terminating');

  // Events tab lists what happened, newest first.
  await page.click('.tabs button:has-text("Events")');
  const ev = await page.textContent('.events');
  assert.match(ev, /NodeNotReady|TaintManagerEviction|NodeHasSufficientMemory|SuccessfulCreate/);
  // Resources tab is kubectl get.
  await page.click('.tabs button:has-text("Resources")');
  assert.match(await page.textContent('.resources pre'), /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);

  // Console: Tab completion and history.
  await page.fill('.prompt input', 'kubectl get statef');
  await page.press('.prompt input', 'Tab');
  assert.equal(await page.inputValue('.prompt input'), 'kubectl get statefulsets ');
  await page.press('.prompt input', 'Enter');
  assert.match(await lastOutput(page), /^NAME\s+READY\s+AGE\npg\s+2\/3/);
  await page.press('.prompt input', 'ArrowUp');
  assert.equal(await page.inputValue('.prompt input'), 'kubectl get statefulsets');

  // kubectl explain reads its schema table, fetched after the first frame.
  await consoleRun(page, 'kubectl explain statefulset.spec.replicas');
  assert.match(await lastOutput(page), /KIND:\s+StatefulSet[\s\S]*FIELD: replicas <integer>/);

  // Scrub back to before the node was stopped: it is Ready again; then back to the present.
  await page.click('button:has-text("Pause")');
  await page.$eval('.scrub', (el) => { el.value = '20000'; el.dispatchEvent(new Event('change', { bubbles: true })); });
  await page.waitForSelector(`.node.ready[data-node="${nodeOf0}"]`);
  assert.match(await page.textContent('.past-note'), /acting now starts a new branch/);
  await screenshot(page, 'page-5-scrubbed-back');
  await page.click('button:has-text("Settle")');
  await page.waitForSelector(`.node.stopped[data-node="${nodeOf0}"]`);

  // Reload: the editor text and the whole session come back.
  await page.reload();
  await page.waitForSelector('.pod[data-pod="pg-2"]');
  await page.waitForSelector('.editor .cm-content'); // the editor loads on its own, after the map
  assert.match(await page.textContent('.editor'), /volumeClaimTemplates/);
  await page.waitForSelector(`.node.stopped[data-node="${nodeOf0}"]`);
  assert.equal(await podStatus(page, 'pg-0'), 'Terminating');
  await screenshot(page, 'page-6-after-reload');

  assert.deepEqual(errors, [], 'the browser console has no errors');
});

test('narrow screens stack the panes; dark theme and reduced motion apply', async () => {
  const nb = await browser({ viewport: { width: 600, height: 900 }, colorScheme: 'dark', reducedMotion: 'reduce' });
  try {
    await nb.page.goto(server.url);
    await nb.page.waitForSelector('.node');
    const boxes = await nb.page.$$eval('.pane', (ps) => ps.map((p) => p.getBoundingClientRect().left));
    assert.ok(boxes.every((x) => x < 20), 'one column');
    const bg = await nb.page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, 'rgb(16, 20, 26)');
    const dur = await nb.page.$eval('.node', (e) => getComputedStyle(e).transitionDuration);
    assert.equal(dur, '0s');
    await screenshot(nb.page, 'page-7-narrow-dark');
    assert.deepEqual(nb.errors, []);
  } finally {
    await nb.close();
  }
});

test('every action on the map is a kubectl command in the console', async () => {
  const ab = await browser();
  const { page, errors } = ab;
  page.on('dialog', (d) => d.accept());
  const run = async (cmd) => { await page.fill('.prompt input', cmd); await page.press('.prompt input', 'Enter'); };
  const last = () => page.$$eval('.console-out .entry', (e) => e[e.length - 1].textContent);
  try {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    // Examples menu: every seed scenario (and the project's own lessons) is there (their
    // transcripts are fetched after the first frame); load one and apply it.
    await page.waitForFunction(() => document.querySelectorAll('.examples optgroup').length === 12);
    const groups = await page.$$eval('.examples optgroup', (g) => g.map((x) => x.label));
    assert.equal(groups.length, 12);
    await page.selectOption('.examples', 'statefulset-basics#all');
    assert.match(await page.textContent('.editor'), /kind: StatefulSet/);
    await page.click('button.primary:has-text("Apply")');
    await page.click('button:has-text("Settle")');
    await page.waitForSelector('.pod[data-pod="web-1"][data-status="Running"]');
    // Inspect tabs.
    await page.click('.pod[data-pod="web-1"]');
    await page.click('.inspector .tab:has-text("Describe")');
    assert.match(await page.textContent('.inspect-body'), /Controlled By:\s+StatefulSet\/web/);
    await page.click('.inspector .tab:has-text("YAML")');
    assert.match(await page.textContent('.inspect-body'), /kind: Pod/);
    await page.click('.inspector .tab:has-text("Why?")');
    // Workload actions: set image (a rollout), undo, restart, delete with orphan.
    await page.click('.inspector button:has-text("Select its statefulset")');
    await page.fill('.param:has-text("Set image") input', 'nginx:1.26');
    await page.click('.param:has-text("Set image") button');
    assert.match(await last(), /kubectl set image statefulset\/web nginx=nginx:1.26\s*statefulset.apps\/web image updated/);
    await page.click('.inspector button:has-text("Rollout undo")');
    assert.match(await last(), /statefulset.apps\/web rolled back/);
    await page.click('.inspector button:has-text("Rollout restart")');
    assert.match(await last(), /statefulset.apps\/web restarted/);
    // Pod actions: force delete.
    await page.click('button:has-text("Settle")');
    await page.click('.pod[data-pod="web-0"]');
    await page.click('.inspector button:has-text("Force delete")');
    assert.match(await last(), /Immediate deletion does not wait for confirmation/);
    // Claim actions: expand (local-path refuses: the real message), delete.
    await page.click('button:has-text("Settle")');
    await page.click('.disk[data-disk="data-web-1"]');
    await page.fill('.param:has-text("Expand to") input', '2Gi');
    await page.click('.param:has-text("Expand to") button');
    assert.match(await last(), /kubectl patch pvc data-web-1/);
    // Node actions: cordon, drain, uncordon, add a node, uninstall a driver.
    await page.click('.node[data-node="node-c"] .node-name');
    await page.click('.inspector button:has-text("Cordon")');
    await page.waitForSelector('.node.cordoned[data-node="node-c"]');
    await page.click('.inspector button:has-text("Drain")');
    assert.match(await last(), /node\/node-c (already cordoned|drained|evicting)/);
    // The drain waits for its evictions; the next action once it is done (as a person would).
    await page.waitForSelector('.entry.running', { state: 'detached' });
    await page.click('.inspector button:has-text("Uncordon")');
    await page.click('button:has-text("+ Add node-d")');
    await page.waitForSelector('.node[data-node="node-d"]');
    await page.click('.drivers-box summary');
    await page.click('.chip:has-text("efs.csi.aws.com")');
    assert.match(await last(), /cluster driver uninstall efs.csi.aws.com/);
    await page.waitForSelector('.chip.off:has-text("efs.csi.aws.com")');
    // Delete the StatefulSet, orphaning its pods.
    await run('kubectl delete statefulset web --cascade=orphan');
    assert.match(await last(), /statefulset.apps "web" deleted/);
    assert.ok(await page.$('.pod[data-pod="web-1"]'), 'orphaned pods stay');
    await screenshot(page, 'page-8-actions');
    assert.deepEqual(errors, []);
  } finally {
    await ab.close();
  }
});
