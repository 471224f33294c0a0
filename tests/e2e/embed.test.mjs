// <kubarium-cluster> on the example docs page (www/embed-example.html):
// three clusters that load only when seen, each with its own clock and
// state, styles that stay on their side of the shadow root, the keyboard as
// on the full page, and the prose driving one cluster through the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, screenshot } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

const IDS = ['storage', 'lesson', 'scenario'];
const time = (page, id) => page.evaluate((id) => document.getElementById(id).time, id);
const drawn = (page, id) => page.waitForFunction((id) => document.getElementById(id).shadowRoot?.querySelector('.node'), id, { timeout: 60_000 });

/** How many colours a screenshot of an element has (a hatch has several, a flat fill one). */
async function colours(page, locator) {
  const png = await locator.screenshot();
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | d[i + 2] >> 4);
    return seen.size;
  }, png.toString('base64'));
}

test('the docs page: three clusters, loaded once and only when seen, each with its own clock', async () => {
  const { page, errors, close } = await browser({ viewport: { width: 1280, height: 400 } });
  const wasm = [];
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); });
  try {
    await page.goto(server.url + 'embed-example.html');
    assert.equal(await page.locator('kubarium-cluster').count(), 3);
    const top = await page.$eval('#storage', (e) => e.getBoundingClientRect().top);
    assert.ok(top > 400 + 200, `the first cluster starts below the fold (${top})`);
    await page.waitForTimeout(1000);
    assert.deepEqual(wasm, [], 'nothing is loaded before a cluster comes into view');
    assert.match(await page.locator('#storage .kb-wait').textContent(), /starts when it scrolls into view/);
    await page.locator('#storage').scrollIntoViewIfNeeded();
    await drawn(page, 'storage');
    assert.equal(await page.locator('#scenario .kb-wait').count(), 1, 'the third is still waiting');
    // Tall enough for all three on screen at once (each clock runs only on screen).
    await page.setViewportSize({ width: 1280, height: 2600 });
    await page.evaluate(() => scrollTo(0, document.getElementById('storage').offsetTop - 10));
    for (const id of IDS) await drawn(page, id);
    assert.equal(wasm.length, 1, `the module is loaded once: ${wasm}`);

    // The first autoplays; pause it. The others wait for their reader.
    assert.equal(await page.evaluate(() => document.getElementById('storage').playing), true, 'autoplay');
    await page.click('#storage button.play');
    const t0 = { storage: await time(page, 'storage'), lesson: await time(page, 'lesson'), scenario: await time(page, 'scenario') };
    assert.deepEqual([t0.lesson, t0.scenario], [0, 0]);
    await page.click('#lesson button.play');
    await page.waitForTimeout(1500);
    assert.ok((await time(page, 'lesson')) >= 1000, 'the lesson plays');
    assert.equal(await time(page, 'storage'), t0.storage, 'the paused one stays paused');
    assert.equal(await time(page, 'scenario'), 0, 'the third has not started');
    // The transcript plays as a lesson: its first step, then its clock.
    await page.click('#scenario .lessons button.next');
    await page.locator('#scenario .console-out .entry:has-text("statefulset.apps/web created")').waitFor();
    assert.equal(await page.locator('#lesson .pod').count(), 0, 'the lesson has applied nothing');
    assert.equal(await page.locator('#storage .pod[data-pod="web-2"]').count(), 0);
    await page.click('#scenario button.play');
    await page.waitForTimeout(1200);
    assert.ok((await time(page, 'scenario')) >= 800, 'the third plays');
    await page.click('#lesson button.play');
    const tl = await time(page, 'lesson');
    await page.waitForTimeout(600);
    assert.equal(await time(page, 'lesson'), tl, 'pausing one stops only it');
    assert.ok((await time(page, 'scenario')) > 1200);
    assert.equal(await time(page, 'storage'), t0.storage);
    await screenshot(page, 'embed-1-three-clusters');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('styles stay on their side of the shadow root; the map, its hatching and focus work inside it', async () => {
  const { page, errors, close } = await browser({ viewport: { width: 1280, height: 2600 }, colorScheme: 'dark' });
  try {
    await page.goto(server.url + 'embed-example.html');
    for (const id of IDS) await drawn(page, id);
    assert.equal(await page.evaluate(() => document.styleSheets.length), 1, 'no style sheet added to the page');
    // The page's 18px root, Georgia buttons: not inside. Ours: not outside.
    const inside = await page.$eval('#storage', (h) => {
      const tab = h.shadowRoot.querySelector('.tab');
      const s = getComputedStyle(tab);
      return { size: s.fontSize, family: s.fontFamily, radius: s.borderTopLeftRadius };
    });
    assert.equal(inside.size, '12px', '.8rem of the page\'s own 15px, not of the docs page\'s 18px');
    assert.doesNotMatch(inside.family, /Georgia/);
    const outside = await page.$eval('#settle', (b) => ({ family: getComputedStyle(b).fontFamily, radius: getComputedStyle(b).borderTopLeftRadius }));
    assert.match(outside.family, /Georgia/);
    assert.equal(outside.radius, '6px');
    // Each theme from its attribute, whatever the reader's setting.
    const bg = (id) => page.$eval(`#${id}`, (h) => getComputedStyle(h.shadowRoot.querySelector('.pane')).backgroundColor);
    assert.equal(await bg('storage'), 'rgb(26, 32, 41)', 'no theme: the reader\'s (dark here)');
    assert.equal(await bg('lesson'), 'rgb(26, 32, 41)', 'theme="dark"');
    assert.equal(await bg('scenario'), 'rgb(255, 255, 255)', 'theme="light", in a dark browser');
    // A stopped node is hatched (url(#hatch) resolves in each shadow root).
    for (const [id, node] of [['storage', 'node-a'], ['lesson', 'node-c']]) {
      await page.evaluate(([id, node]) => document.getElementById(id).run(`cluster node stop ${node}`), [id, node]);
      const box = page.locator(`#${id} .node.stopped[data-node="${node}"] .node-box`);
      await box.waitFor();
      assert.ok((await colours(page, box)) > 3, `${id}: ${node} is hatched`);
    }
    // The keyboard: Tab from the prose into the cluster, Space plays, Enter on a node selects it.
    await page.focus('#read');
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => {
      const a = document.activeElement;
      const inner = a?.shadowRoot?.activeElement;
      return { host: a?.id, cls: inner?.className?.baseVal ?? inner?.className, id: inner?.id, outline: inner && getComputedStyle(inner).outlineStyle };
    });
    let f = await focused();
    assert.equal(f.host, 'storage');
    assert.match(f.cls, /play/);
    assert.equal(f.outline, 'solid', 'focus is visible');
    const playing = await page.evaluate(() => document.getElementById('storage').playing);
    await page.keyboard.press('Space');
    assert.equal(await page.evaluate(() => document.getElementById('storage').playing), !playing);
    await page.focus('#storage .node[data-node="node-b"]');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(200);
    f = await focused();
    assert.equal(f.id, 'inspector-title', 'selecting moves focus to the inspector, in this cluster');
    assert.match(await page.locator('#storage #inspector-title').textContent(), /node-b/);
    assert.equal(await page.locator('#lesson .lessons.playing').count(), 1, 'the other clusters are untouched');
    assert.equal(await page.locator('#lesson #inspector-title').count(), 0);
    // Screen readers hear what the command did, in the cluster's own live region.
    await page.evaluate(() => document.getElementById('storage').run('kubectl get nodes'));
    await page.waitForTimeout(200);
    assert.equal(await page.locator('#storage .app > .sr-only[aria-live]').textContent(), 'kubectl get nodes exited 0');
    await screenshot(page, 'embed-2-styles-and-hatching');
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test('the prose drives a cluster through the API, and hears its events', async () => {
  const { page, errors, close } = await browser({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(server.url + 'embed-example.html');
    // The API waits for no scrolling: load() loads it now.
    await page.evaluate(() => document.getElementById('scenario').load());
    await drawn(page, 'scenario');
    await page.evaluate(() => {
      const el = document.getElementById('scenario');
      window.heard = [];
      for (const t of ['command', 'change', 'time']) el.addEventListener(t, (e) => window.heard.push({ type: t, ...e.detail }));
    });
    const heard = () => page.evaluate(() => window.heard.splice(0));
    const call = (f, ...args) => page.evaluate(([f, args]) => document.getElementById('scenario')[f](...args), [f, args]);

    const r = await call('apply', 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: notes\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n');
    assert.deepEqual(r, { output: 'persistentvolumeclaim/notes created\n', exitCode: 0 });
    let ev = await heard();
    assert.deepEqual(ev[0], { type: 'command', command: 'kubectl apply -f -', output: 'persistentvolumeclaim/notes created\n', exitCode: 0 });
    assert.ok(ev.some((e) => e.type === 'change' && e.op === 'added' && e.kind === 'PersistentVolumeClaim' && e.name === 'notes' && e.namespace === 'default'), JSON.stringify(ev));
    assert.equal(ev.filter((e) => e.type === 'time').length, 0, 'no time passed');

    const bad = await call('run', 'kubectl get pod nope');
    assert.deepEqual(bad, { output: 'Error from server (NotFound): pods "nope" not found\n', exitCode: 1 });
    await page.locator('#scenario .console-out .entry.failed:has-text("kubectl get pod nope")').waitFor();

    assert.equal(await call('advance', '90s'), 90_000);
    ev = await heard();
    assert.deepEqual(ev.filter((e) => e.type === 'time'), [{ type: 'time', elapsed: 90_000, clock: '1m30s', playing: false }]);
    assert.ok(ev.some((e) => e.type === 'change' && e.kind === 'Lease' && e.op === 'modified'), 'heartbeats while time passes');

    await call('run', 'kubectl create deployment web --image=nginx:1.25 --replicas=2');
    await call('settle');
    const pods = await page.evaluate(() => window.heard.filter((e) => e.type === 'change' && e.kind === 'Pod' && e.op === 'added').map((e) => e.name));
    assert.equal(pods.length, 2, pods.join());
    const pod = await call('get', 'pod', pods[0]);
    assert.equal(pod.status.phase, 'Running');
    assert.equal(await call('get', 'pvc', 'nope'), null);

    const snap = await call('snapshot');
    assert.match(snap, /^k1\./);
    const t = await time(page, 'scenario');
    await heard();
    await call('run', `kubectl delete pod ${pods[0]} --force --grace-period=0`);
    ev = await heard();
    assert.ok(ev.some((e) => e.type === 'change' && e.kind === 'Pod' && e.name === pods[0] && e.op === 'deleted'));
    assert.ok(ev.some((e) => e.type === 'change' && e.kind === 'Pod' && e.op === 'added'), 'the ReplicaSet replaces it at once');

    await call('reset');
    assert.equal(await time(page, 'scenario'), 0);
    assert.equal(await call('get', 'deployment', 'web'), null, 'reset: as the element first showed it');
    assert.equal(await page.locator('#scenario .lessons.playing .step-count').textContent(), 'step 1 of 11');
    ev = await heard();
    assert.ok(ev.some((e) => e.type === 'change' && e.kind === 'Deployment' && e.op === 'deleted'), 'reset is told as changes');
    await call('restore', snap);
    assert.equal(await time(page, 'scenario'), t);
    assert.equal((await call('get', 'pod', pods[0])).status.phase, 'Running', 'restored exactly');

    await call('play');
    await page.waitForTimeout(700);
    await call('pause');
    ev = await heard();
    assert.equal(ev.filter((e) => e.type === 'time').at(-1).playing, false);
    assert.ok(ev.filter((e) => e.type === 'time').some((e) => e.playing && e.elapsed > t));

    const err = await page.evaluate(() => { try { document.getElementById('scenario').advance('soon'); } catch (e) { return e.message; } });
    assert.match(err, /"soon" is not a duration/);
    const early = await page.evaluate(() => { try { document.createElement('kubarium-cluster').run('kubectl get pods'); } catch (e) { return e.message; } });
    assert.match(early, /not loaded yet/);
    // A docs page's storage and address are its own.
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, location.href]), [0, 0, server.url + 'embed-example.html']);
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});
