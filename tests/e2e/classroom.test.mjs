// Classrooms and docs: play a lesson with a prediction, share a session and
// open the link in a fresh browser, reject a damaged link, the embed page with
// two lessons, the Deployment/StatefulSet comparison, the export, offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serve, browser, screenshot } from './harness.mjs';

let server, b;
before(async () => { server = await serve(); b = await browser(); });
after(async () => { await b?.close(); await server?.close(); });

async function nextUntilQuestion(page) {
  for (let i = 0; i < 40; i++) {
    if (await page.$('.predict')) return;
    await page.click('.lessons .next');
  }
  throw new Error('no prediction reached');
}

test('a lesson plays step by step and asks for a prediction', async () => {
  const { page, errors } = b;
  errors.length = 0;
  await page.goto(server.url);
  await page.waitForSelector('.node');
  await page.click('.tabs button:has-text("Lessons")');
  const cards = await page.$$eval('.lesson-card', (c) => c.map((e) => e.dataset.lesson));
  assert.equal(cards.length, 12, 'every seed scenario is a lesson, and the Jobs/CronJobs/DaemonSets, HPA, NetworkPolicy and Indexed Job ones');
  assert.ok(cards.includes('lesson-networkpolicy') && cards.includes('lesson-indexed-job'));
  assert.ok(cards.includes('lesson-jobs-cronjobs-daemonsets'));
  await page.click('.lesson-card[data-lesson="seed000-statefulset-local-path"] button');
  await page.waitForSelector('.lessons.playing');
  assert.match(await page.textContent('.lesson-head'), /step 1 of 16/);
  // Step 1 applies the StatefulSet: it shows in the console and on the map.
  await page.click('.lessons .next');
  await page.waitForSelector('.pod[data-pod="pg-0"]');
  assert.match(await page.textContent('.console-out'), /statefulset.apps\/pg created/);
  await page.click('.lessons .next');
  // "Does pg-1 exist yet?" — answer wrong on purpose.
  await page.waitForSelector('.predict');
  assert.match(await page.textContent('.question'), /Does pg-1 exist yet/);
  await screenshot(page, 'classroom-1-prediction');
  await page.click('.choice:has-text("Yes, all replicas start together")');
  assert.match(await page.textContent('.verdict.wrong'), /Not quite: it is No, pg-1 waits/);
  assert.match(await page.textContent('.console-out'), /Error from server \(NotFound\): pods "pg-1" not found/);
  // On to the next question, answered right.
  await nextUntilQuestion(page);
  assert.match(await page.textContent('.question'), /Can pg-1 see her/);
  await page.click('.choice:has-text("No, each replica has its own volume")');
  assert.match(await page.textContent('.verdict.right'), /Right/);
  await screenshot(page, 'classroom-2-verdict');
  assert.deepEqual(errors, []);
});

test('a share link replays the session in a fresh browser; a damaged one is refused', async () => {
  const { page } = b;
  await page.goto(server.url);
  await page.waitForSelector('.node');
  await page.fill('.prompt input', 'kubectl create deployment web --image=nginx:1.25 --replicas=2');
  await page.press('.prompt input', 'Enter');
  await page.click('button:has-text("Settle")');
  await page.fill('.prompt input', 'cluster node stop node-c');
  await page.press('.prompt input', 'Enter');
  await page.click('button:has-text("Share")');
  const link = await page.inputValue('.share-link');
  assert.match(link, /#k1\./);
  const snippet = await page.inputValue('.embed-snippet');
  assert.match(snippet, /^<iframe src="[^"]+\?embed#k1\./);
  const pods = await page.$$eval('.pod', (p) => p.map((e) => e.dataset.pod).sort());

  const fresh = await browser();
  try {
    await fresh.page.goto(link);
    await fresh.page.waitForSelector('.node.stopped[data-node="node-c"]');
    const pods2 = await fresh.page.$$eval('.pod', (p) => p.map((e) => e.dataset.pod).sort());
    assert.deepEqual(pods2, pods, 'same pods, same generated names');
    assert.match(await fresh.page.textContent('.notice'), /shared session/);
    await screenshot(fresh.page, 'classroom-3-shared-link');
    // Truncated link: a clear message, and a working page.
    await fresh.page.goto(link.slice(0, link.length - 40).replace('#', '?x#'));
    await fresh.page.waitForSelector('.notice');
    assert.match(await fresh.page.textContent('.notice'), /share link is damaged/);
    await fresh.page.waitForSelector('.node[data-node="node-c"].ready');
    await fresh.page.goto(server.url + '?y#k1.%%%%');
    await fresh.page.waitForSelector('.notice');
    assert.match(await fresh.page.textContent('.notice'), /damaged|not part of a share link/);
    assert.deepEqual(fresh.errors, []);
  } finally {
    await fresh.close();
  }
});

test('a docs page embeds two lessons in iframes (?embed) that play', async (t) => {
  const { page, errors } = b;
  errors.length = 0;
  // The iframe way a docs page embeds Kubarium, from the docs site's own
  // origin (the element is tested in embed.test.mjs).
  const site = await fsp.mkdtemp(path.join(os.tmpdir(), 'kubarium-docs-'));
  await fsp.writeFile(path.join(site, 'index.html'), `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>docs</title>
    <style>iframe { width: 100%; height: 600px; }</style></head><body>
    <h2>A Deployment loses its data</h2>
    <iframe id="lesson-deployment" title="Kubarium lesson" src="${server.url}index.html?embed&amp;lesson=seed000-deployment-loses-data"></iframe>
    <h2>A StatefulSet keeps its data</h2>
    <iframe id="lesson-statefulset" title="Kubarium lesson" src="${server.url}index.html?embed&amp;lesson=seed000-statefulset-local-path"></iframe>
    </body></html>`);
  const docs = await serve(site);
  t.after(async () => { await docs.close(); await fsp.rm(site, { recursive: true, force: true }); });
  await page.goto(docs.url);
  const frames = await page.$$('iframe');
  assert.equal(frames.length, 2);
  const f1 = await (await page.$('#lesson-deployment')).contentFrame();
  const f2 = await (await page.$('#lesson-statefulset')).contentFrame();
  for (const f of [f1, f2]) {
    await f.waitForSelector('.app.embed .lessons.playing', { timeout: 30_000 });
    assert.equal(await f.$('.editor-pane:visible'), null, 'no editor in embed mode');
  }
  await f2.click('.lessons .next');
  await f2.waitForSelector('.pod[data-pod="pg-0"]');
  await page.evaluate(() => document.getElementById('lesson-statefulset').scrollIntoView());
  await screenshot(page, 'classroom-4-docs-embed');
  assert.deepEqual(errors, []);
});

test('compare: the same buttons drive a Deployment and a StatefulSet', async () => {
  const { page, errors } = b;
  errors.length = 0;
  await page.goto(server.url + '?compare');
  await page.waitForSelector('.compare-side');
  const sides = await page.$$('.compare-side');
  assert.equal(sides.length, 2);
  await sides[1].waitForSelector('.pod[data-pod="pg-0"][data-status="Running"]', { timeout: 60_000 });
  await page.click('button:has-text("Scale to 3")');
  await sides[1].waitForSelector('.pod[data-pod="pg-2"][data-status="Running"]', { timeout: 60_000 });
  await page.click('button:has-text("Delete the first pod")');
  await sides[1].waitForSelector('.pod[data-pod="pg-0"]');
  const depNames = await sides[0].$$eval('.pod', (p) => p.map((e) => e.dataset.pod));
  assert.ok(depNames.every((n) => /^pg-[0-9a-f]+-[0-9a-z]{5}$/.test(n)), depNames.join());
  await screenshot(page, 'classroom-5-compare');
  assert.deepEqual(errors, []);
});

test('export: a bash script and a kind config', async () => {
  const { page } = b;
  await page.goto(server.url);
  await page.waitForSelector('.node');
  await page.fill('.prompt input', 'cluster node stop node-b');
  await page.press('.prompt input', 'Enter');
  await page.click('button:has-text("Export")');
  const script = await page.textContent('.export-script');
  assert.match(script, /^#!\/usr\/bin\/env bash/);
  assert.match(script, /docker stop "\$\{NODE_NODE_B\}"/);
  execFileSync('bash', ['-n', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.doesNotMatch(script, /^kubectl[^\n]*<<EOF/m, 'a lesson command keeps one heredoc');
  const kind = decodeURIComponent((await page.getAttribute('a[download="kind.yaml"]', 'href')).split(',').slice(1).join(','));
  assert.match(kind, /kind: Cluster\napiVersion: kind.x-k8s.io\/v1alpha4/);
  assert.equal((kind.match(/- role: worker/g) || []).length, 3);
  await screenshot(page, 'classroom-6-export');
});

test('after the first load the page works offline', async () => {
  const ob = await browser();
  try {
    await ob.page.goto(server.url);
    await ob.page.waitForSelector('.node');
    await ob.page.waitForFunction(() => document.documentElement.dataset.offlineReady, null, { timeout: 30_000 });
    assert.equal(await ob.page.evaluate(() => document.documentElement.dataset.offlineReady), 'yes');
    await ob.context.setOffline(true);
    await ob.page.reload();
    await ob.page.waitForSelector('.node', { timeout: 30_000 });
    assert.equal(await ob.page.$$eval('.node', (n) => n.length), 3);
    await ob.context.setOffline(false);
  } finally {
    await ob.close();
  }
});
