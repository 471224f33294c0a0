// The page in front of a class: a teacher pauses, asks the class to predict,
// acts, scrubs back and explains. Each test is a bug met there, replayed
// with the mouse and the keyboard only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, screenshot, overflowing } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

const STS = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: local-path
      resources:
        requests:
          storage: 1Gi
`;

async function open(opts = {}, query = '') {
  const b = await browser(opts);
  await b.page.goto(server.url + query);
  await b.page.waitForSelector('.node');
  return b;
}

async function paste(page, text) {
  await page.click('.editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function run(page, cmd) {
  // As a person at a terminal: the next line is typed once the last one is
  // done (Enter while a command runs is refused and the line stays typed).
  await page.waitForSelector('.entry.running', { state: 'detached' });
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}

const clockText = (page) => page.textContent('.clock');
/** Seconds on the clock ("t = 1m05s" is 65). */
async function clockSeconds(page) {
  const m = (await clockText(page)).match(/t = (?:(\d+)h)?(?:(\d+)m)?([\d.]+)s/);
  return Number(m[1] || 0) * 3600 + Number(m[2] || 0) * 60 + Number(m[3]);
}
const lastOutput = (page) => page.$$eval('.console-out .entry', (e) => e[e.length - 1].textContent);
const commands = (page) => page.$$eval('.console-out .entry .cmdline', (e) => e.map((x) => x.textContent.replace(/^\S+ \$ /, '')));

async function applyAndSettle(page, yaml) {
  await paste(page, yaml);
  await page.click('button.primary:has-text("Apply")');
  await page.click('button:has-text("Settle")');
}

async function pause(page) {
  if (await page.$('button:has-text("Pause")')) await page.click('button:has-text("Pause")');
}

test('a lesson stops the clock while a question is open, and verdicts belong to their step', async () => {
  const { page, errors, close } = await open();
  try {
    await page.click('.tab:has-text("Lessons")');
    await page.click('.lesson-card[data-lesson="seed000-statefulset-local-path"] button:has-text("Start")');
    await page.click('.lessons button.next');
    await page.click('.lessons button.next');
    await page.waitForSelector('.predict');
    assert.match(await page.textContent('.predict'), /Does pg-1 exist yet\?/);
    const t = await clockText(page);
    await page.waitForTimeout(3000);
    assert.equal(await clockText(page), t, 'time stands still while the class thinks');
    assert.equal(await page.$('.pod[data-pod="pg-1"]'), null, 'pg-1 did not appear behind the question');
    assert.match(await page.textContent('.lesson-head'), /step 3 of/);
    assert.ok(await page.$eval('button.play', (b) => b.disabled), 'Play waits for the answer');
    await screenshot(page, 'class-1-question-open');
    // A wrong answer: the verdict says so, next to this step's output.
    await page.click('.choice:has-text("Yes, all replicas start together")');
    assert.match(await page.textContent('.verdict.wrong'), /Not quite: it is No, pg-1 waits/);
    assert.match(await lastOutput(page), /pods "pg-1" not found/);
    assert.match(await page.textContent('.lesson-head'), /step 4 of/, 'one step at a time');
    await page.click('.lessons button.next');
    assert.match(await page.textContent('.lesson-head'), /step 5 of/);
    assert.equal(await page.$('.verdict'), null, 'the verdict went with its step');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('actions made while paused are drawn at once', async () => {
  const { page, errors, close } = await open();
  try {
    await applyAndSettle(page, STS);
    await pause(page);
    const t = await clockText(page);
    const host = await page.$eval('.pod[data-pod="web-1"]', (e) => {
      const r = e.getBoundingClientRect();
      return [...document.querySelectorAll('.node')].find((n) => { const b = n.getBoundingClientRect(); return r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom; })?.dataset.node;
    });
    await page.click('.pod[data-pod="web-1"]');
    await page.click('.inspector button:has-text("Write data")');
    await page.waitForSelector('.disk[data-disk="www-web-1"][data-data="1 file"]', { timeout: 2000 });
    await page.click(`.node[data-node="${host}"] .node-name`);
    await page.click('.inspector button:has-text("Stop (power off)")');
    await page.waitForSelector(`.node.stopped[data-node="${host}"]`, { timeout: 2000 });
    assert.equal(await clockText(page), t, 'the clock never moved');
    assert.match(await page.$eval(`.node[data-node="${host}"]`, (e) => e.getAttribute('aria-label')), /powered off/);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('a workload has a Why, forms keep their own values, and Enter runs a form', async () => {
  const { page, errors, close } = await open();
  try {
    await applyAndSettle(page, STS);
    await page.click('.pod[data-pod="web-0"]');
    await page.click('.inspector button:has-text("Select its statefulset")');
    await page.waitForSelector('.inspector h2:has-text("StatefulSet web")');
    const why = await page.textContent('.inspect-body');
    assert.doesNotMatch(why, /does not exist/);
    assert.match(why, /web wants 2 replicas/);
    await page.fill('.param:has-text("Scale to") input', '3');
    assert.match(await page.textContent('.param:has-text("Set image") .preview'), /nginx=nginx:1\.25$/, 'typing into Scale leaves Set image alone');
    await page.press('.param:has-text("Scale to") input', 'Enter');
    assert.match(await lastOutput(page), /kubectl scale statefulset web --replicas=3\s*statefulset.apps\/web scaled/);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('the keyboard never lands on a destructive action and never gets trapped', async () => {
  const { page, errors, close } = await open();
  try {
    await applyAndSettle(page, STS);
    // Open a pod with the keyboard: Tab to it on the map, Enter.
    await page.focus('.pod[data-pod="web-0"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.inspector h2:has-text("Pod web-0")');
    await page.focus('.inspector button:has-text("Select its statefulset")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.inspector h2:has-text("StatefulSet web")');
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    assert.equal(focused, 'StatefulSet web', 'focus goes to the inspector title');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    assert.ok(!(await commands(page)).some((c) => c.includes('delete')), 'two Enters deleted nothing');
    // Run an action with the keyboard.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Rollout status', 'the first action is a safe one');
    await page.keyboard.press('Enter');
    assert.match(await lastOutput(page), /kubectl rollout status statefulset web/);
    // The console: Tab on an empty line, Shift+Tab, and Escape then Tab all leave it.
    await page.focus('.prompt input');
    await page.keyboard.press('Tab');
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'prompt');
    await page.focus('.prompt input');
    await page.keyboard.type('kubectl get po');
    await page.keyboard.press('Shift+Tab');
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'prompt');
    await page.focus('.prompt input');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'prompt');
    // The editor says how to leave it, and Escape then Tab does.
    assert.match(await page.textContent('#editor-hint'), /Esc then Tab moves on/);
    await page.click('.editor .cm-content');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => !document.activeElement?.closest('.cm-editor')), 'out of the editor');
    // Apply with the keyboard, step with the keyboard.
    await page.click('.editor .cm-content');
    await page.keyboard.press('Control+Enter');
    assert.match(await lastOutput(page), /statefulset.apps\/web (unchanged|configured)/);
    await run(page, 'kubectl scale statefulset web --replicas=3');
    await page.focus('button:has-text("Step")');
    const before = await clockText(page);
    await page.keyboard.press('Enter');
    assert.notEqual(await clockText(page), before);
    // Export: takes focus, Escape closes it and focus comes back.
    await page.focus('button:has-text("Export")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.dialog');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Take it to a real cluster');
    await page.keyboard.press('Escape');
    assert.equal(await page.$('.dialog'), null);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Export');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('branching on the timeline drops the discarded future from the console and the share link, with undo', async () => {
  const { page, errors, close, context } = await open();
  try {
    await applyAndSettle(page, STS);
    await run(page, 'kubectl scale statefulset web --replicas=3');
    await run(page, 'cluster advance 2m');
    await run(page, 'cluster node stop node-a');
    await run(page, 'cluster advance 2m');
    // A command still working refuses a move of the clock ("A command is
    // still running"): the class waits for it, as a person would.
    await page.waitForSelector('.entry.running', { state: 'detached' });
    await pause(page);
    // Back to 5 s with the timeline's handle: the cluster goes back there.
    await page.focus('.scrub');
    await page.$eval('.scrub', (el) => { el.value = '5000'; el.dispatchEvent(new Event('change', { bubbles: true })); });
    await page.waitForSelector('.node.ready[data-node="node-a"]');
    assert.equal(await page.$('.node.stopped'), null, 'node-a is up again at that moment');
    // Act: the later commands go.
    await run(page, 'kubectl scale statefulset web --replicas=1');
    const cmds = await commands(page);
    assert.ok(!cmds.includes('cluster node stop node-a') && !cmds.includes('kubectl scale statefulset web --replicas=3'), cmds.join('\n'));
    assert.match(await page.textContent('.notice'), /later commands of the recording were discarded/);
    // The apply and the surviving scale are marked on the timeline; the discarded ones are not.
    assert.equal((await page.$$('.marks .mark.m-change')).length, 2, (await page.$$eval('.marks .mark', (m) => m.map((x) => x.title))).join(' / '));
    assert.equal((await page.$$('.marks .mark.m-node')).length, 0);
    // The share link replays only what is left.
    await page.click('button:has-text("Share")');
    const link = await page.inputValue('.share-link');
    await page.keyboard.press('Escape');
    const other = await context.newPage();
    await other.goto(link);
    await other.waitForSelector('.node');
    await other.click('button:has-text("Settle")');
    const otherCmds = await other.$$eval('.console-out .entry .cmdline', (e) => e.map((x) => x.textContent));
    assert.ok(!otherCmds.some((c) => c.includes('node stop')), otherCmds.join('\n'));
    assert.equal(await other.$('.node.stopped'), null);
    await other.close();
    // Back to the class's tab (a hidden tab draws no frames, so the work of
    // the last command is still to be done there); Undo brings the recording back.
    await page.bringToFront();
    await page.waitForSelector('.entry.running', { state: 'detached' });
    await page.click('.notice button:has-text("Undo")');
    // (drawn with the next frame)
    await page.waitForFunction(() => [...document.querySelectorAll('.console-out .entry .cmdline')].some((e) => e.textContent.endsWith('cluster node stop node-a')), null, { timeout: 5000 });
    assert.ok((await commands(page)).includes('cluster node stop node-a'));
    await page.click('button:has-text("Settle")');
    await page.waitForSelector('.node.stopped[data-node="node-a"]');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('the timeline previews while dragging, its marks jump, and Step goes to the next thing that happens', async () => {
  const { page, errors, close } = await open();
  try {
    await applyAndSettle(page, STS);
    const host = await page.$eval('.pod[data-pod="web-1"]', (e) => {
      const r = e.getBoundingClientRect();
      return [...document.querySelectorAll('.node')].find((n) => { const b = n.getBoundingClientRect(); return r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom; })?.dataset.node;
    });
    await run(page, `cluster node stop ${host}`);
    await pause(page);
    // Step: the first step lands on a visible change (the node marked NotReady), well after 10 s.
    const t0 = await clockSeconds(page);
    await page.click('button:has-text("Step")');
    await page.waitForSelector(`.node[data-node="${host}"][data-status^="NotReady"]`);
    const t1 = await clockSeconds(page);
    assert.ok(t1 - t0 > 10, `one step, not a fixed 10 s (${t0} -> ${t1})`);
    // A few more steps reach the eviction after the 300 s toleration.
    let steps = 1;
    while (!(await page.$('.pod[data-pod="web-1"][data-status="Terminating"]'))) {
      await page.click('button:has-text("Step")');
      steps += 1;
      assert.ok(steps < 10, 'the 5-minute wait takes a handful of steps');
    }
    assert.match(await clockText(page), /t = [5-9]m/);
    const deaths = await page.$$('.marks .mark.m-death');
    assert.ok(deaths.length > 0, 'pods and nodes lost are marked');
    // Drag back: the map follows before the handle is released.
    await page.$eval('.scrub', (el) => { el.value = '5000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    await page.waitForSelector(`.node.ready[data-node="${host}"]`, { timeout: 3000 });
    assert.ok(await page.$('.timeline.past'));
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('deleting a pod from the inspector lets the class watch it terminate', async () => {
  const { page, errors, close } = await open();
  try {
    await applyAndSettle(page, STS);
    await pause(page);
    await page.click('.pod[data-pod="web-0"]');
    await page.click('.inspector button.danger:has-text("Delete")');
    assert.match(await lastOutput(page), /kubectl delete pod web-0 --wait=false\s*pod "web-0" deleted/);
    await page.waitForSelector('.pod[data-pod="web-0"][data-status="Terminating"]', { timeout: 2000 });
    await page.click('button:has-text("Play")');
    await page.waitForFunction(() => document.querySelector('.pod[data-pod="web-0"]')?.dataset.status === 'Running', null, { timeout: 60_000 });
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('the Deployment that loses its data: the container layer is on the map and goes with the pod', async () => {
  const { page, errors, close } = await open();
  try {
    await page.selectOption('.examples', 'seed000-deployment-loses-data#all');
    await page.click('button.primary:has-text("Apply")');
    await page.click('button:has-text("Settle")');
    await page.click('.pod');
    await page.click('.inspector button:has-text("Write data")');
    await page.click('.inspector button:has-text("Write data")');
    await page.waitForSelector('.pod[data-own="layer: postgres: 1 table, 2 rows"]');
    assert.match(await page.textContent('.pod .own-data'), /layer: pg: 1 table, 2 rows/);
    const first = await page.$eval('.pod', (e) => e.dataset.pod);
    await page.click('.inspector button:has-text("Select its deployment")');
    await page.click('.inspector button:has-text("Rollout restart")');
    await page.click('button:has-text("Settle")');
    const pods = await page.$$eval('.pod', (ps) => ps.map((p) => [p.dataset.pod, p.dataset.own]));
    assert.equal(pods.length, 1);
    assert.notEqual(pods[0][0], first, 'a new pod');
    assert.equal(pods[0][1], 'layer: postgres: 0 tables, 0 rows', 'its layer is new: the rows are gone');
    await screenshot(page, 'class-2-deployment-lost-its-rows');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('embedded: waits to be started, and the console proves the point inside the iframe size', async () => {
  const { page, errors, close } = await open({ viewport: { width: 760, height: 600 } }, '?embed&lesson=seed000-deployment-loses-data');
  try {
    const t = await clockText(page);
    await page.waitForTimeout(1500);
    assert.equal(await clockText(page), t, 'the clock waits for the reader');
    for (let i = 0; i < 12; i++) {
      const choice = await page.$('.choice');
      if (choice) await page.click('.choice:has-text("No, the table is gone")');
      else if (await page.$('.lessons button.next')) await page.click('.lessons button.next');
      else break;
    }
    const entry = await page.$('.console-out .entry:last-child');
    assert.match(await entry.textContent(), /relation "users" does not exist/);
    const box = await entry.boundingBox();
    assert.ok(box && box.y >= 0 && box.y + 10 <= 600, `the proof is in view (${JSON.stringify(box)})`);
    await screenshot(page, 'class-3-embed');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
  // The docs example's headings match the clusters under them.
  const d = await browser();
  try {
    await d.page.goto(server.url + 'embed-example.html');
    const h = await d.page.$$eval('h2', (hs) => hs.map((x) => x.textContent));
    const lessons = await d.page.$$eval('kubarium-cluster', (es) => es.map((e) => e.getAttribute('lesson')));
    assert.match(h[0], /own disk, on its node/i);
    assert.match(h[1], /own name and its own disk/i);
    assert.equal(lessons[1], 'seed000-statefulset-local-path');
  } finally {
    await d.close();
  }
});

test('a phone: the map is whole, and tapping a pod brings its inspector into view', async () => {
  const { page, errors, close } = await open({ viewport: { width: 390, height: 844 } });
  try {
    await applyAndSettle(page, STS);
    const svg = await page.$eval('.map-svg', (s) => { const r = s.getBoundingClientRect(); return [r.width, r.height]; });
    assert.ok(svg[0] <= 390 && svg[1] > 600, `one column of zones, drawn whole (${svg})`);
    await page.click('.pod[data-pod="web-1"]');
    await page.waitForTimeout(400);
    const top = await page.$eval('.inspector h2', (e) => e.getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 844, `the inspector is on screen (${top})`);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('nothing is cut or overflows its box', async () => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }, { width: 390, height: 844 }]) {
    const { page, errors, close } = await open({ viewport });
    try {
      await applyAndSettle(page, STS.replace('replicas: 2', 'replicas: 3').replace('image: nginx:1.25', 'image: nginx:does-not-exist-here'));
      await run(page, 'kubectl create deployment frontend-application --image=nginx:1.25 --replicas=2');
      await page.click('button:has-text("Settle")');
      await page.click('.tab:has-text("Events")');
      const overflow = await overflowing(page);
      assert.deepEqual(overflow, [], `${viewport.width}x${viewport.height}`);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  }
});
