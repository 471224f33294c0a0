// Hostile content stays text: names, labels, annotations, data, images,
// events, console lines and share links carrying HTML or script are shown
// as text everywhere (map titles, inspector, describe, YAML, tables,
// events, console, export) and run nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

const HIT = 'window.__xss=(window.__xss||0)+1';
const P1 = `<img src=x onerror="${HIT}">`;
const P2 = `<script>${HIT}</script>`;
const P3 = `"><svg onload="${HIT}">`;

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: hostile
  annotations:
    note: '${P1}'
    other: '${P3}'
data:
  index.html: '${P2}'
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hostile
  labels:
    app: hostile
  annotations:
    description: '${P2} ${P1}'
spec:
  replicas: 1
  selector:
    matchLabels:
      app: hostile
  template:
    metadata:
      labels:
        app: hostile
      annotations:
        why: '${P3}'
    spec:
      containers:
      - name: web
        image: 'nginx:1.25${P1.replace(/"/g, '')}'
        env:
        - name: X
          value: '${P2}'
`;

async function run(page, cmd) {
  // As a person at a terminal: the next line is typed once the last one is
  // done (Enter while a command runs is refused and the line stays typed).
  await page.waitForSelector('.entry.running', { state: 'detached' });
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}

test('payloads in every field and view run nothing and read as text', async () => {
  const b = await browser();
  const { page, errors, context } = b;
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  try {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    await page.evaluate(() => { window.__xss = 0; });
    await page.click('.editor .cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(MANIFEST);
    await page.click('button.primary:has-text("Apply")');
    await page.click('button:has-text("Settle")');
    await run(page, `kubectl annotate configmap hostile extra='${P1}'`);
    await run(page, `echo ${P2}`);
    await run(page, `kubectl get pods ${P3}`);
    // Every view of the pod and its Deployment.
    await page.click('.pod');
    for (const tab of ['Why?', 'Describe', 'YAML']) {
      await page.click(`.inspector .tab:has-text("${tab}")`);
      await page.waitForTimeout(100);
    }
    assert.match(await page.textContent('.inspect-body'), /<script>window.__xss/, 'the payload is shown as text');
    await page.click('.inspector button:has-text("Select its deployment")');
    await page.click('.inspector .tab:has-text("Describe")');
    assert.match(await page.textContent('.inspect-body'), /<img src=x onerror=/);
    await page.click('.tab:has-text("Resources")');
    await page.selectOption('.resources select', 'all');
    await page.click('.tab:has-text("Events")');
    await page.click('button:has-text("Export")');
    assert.match(await page.textContent('.export-script'), /<script>window.__xss/);
    await page.keyboard.press('Escape');
    // The same session through a share link, in a fresh page.
    await page.click('button:has-text("Share")');
    const link = await page.inputValue('.share-link');
    await page.keyboard.press('Escape');
    const other = await context.newPage();
    await other.goto(link);
    await other.waitForSelector('.pod');
    await other.click('.pod');
    await other.click('.inspector .tab:has-text("YAML")');
    await other.waitForTimeout(300);
    assert.equal(await other.evaluate(() => window.__xss || 0), 0, 'nothing ran in the shared copy');
    assert.match(await other.textContent('.console-out'), /echo <script>/);
    await other.close();
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__xss), 0, 'no payload ran');
    assert.equal(await page.$$eval('img[src="x"], svg[onload]', (e) => e.length), 0, 'no element came from a payload');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    // The detector works: the same payload, put in as HTML, does run.
    await page.evaluate((p) => { const d = document.createElement('div'); d.innerHTML = p; document.body.append(d); }, P1);
    await page.waitForFunction(() => window.__xss === 1, null, { timeout: 5000 });
  } finally {
    await b.close();
  }
});
