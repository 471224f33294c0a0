// The page opens on the default cluster: three nodes in three zones and the
// two storage classes, drawn from the engine's state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, screenshot } from './harness.mjs';

let server, b;
before(async () => { server = await serve(); b = await browser(); });
after(async () => { await b?.close(); await server?.close(); });

test('the default cluster is drawn: zones, nodes, storage classes', async () => {
  const { page, errors } = b;
  await page.goto(server.url);
  await page.waitForSelector('.node', { timeout: 30_000 });

  const nodes = await page.$$eval('.node', (els) => els.map((e) => e.dataset.node));
  assert.deepEqual(nodes, ['node-a', 'node-b', 'node-c']);

  const zones = await page.$$eval('.zone', (els) => els.map((e) => e.dataset.zone));
  assert.deepEqual(zones, ['zone-a', 'zone-b', 'zone-c']);

  // each node is drawn inside its zone's box and shows its zone and status
  for (const [node, zone] of [['node-a', 'zone-a'], ['node-b', 'zone-b'], ['node-c', 'zone-c']]) {
    const text = await page.textContent(`.node[data-node="${node}"]`);
    assert.match(text, new RegExp(`${zone} · 4 CPU · 16Gi`));
    assert.match(text, /Ready/);
    const inside = await page.evaluate(([n, z]) => {
      const a = document.querySelector(`.node[data-node="${n}"]`).getBoundingClientRect();
      const b = document.querySelector(`.zone[data-zone="${z}"] .zone-box`).getBoundingClientRect();
      return a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;
    }, [node, zone]);
    assert.ok(inside, `${node} inside ${zone}`);
  }

  const classes = await page.$$eval('.class', (els) => els.map((e) => e.textContent));
  assert.equal(classes.length, 2);
  assert.match(classes[0], /^local-path/);
  assert.match(classes[1], /^standard\s*default/);
  assert.match(classes[1], /rancher\.io\/local-path · WaitForFirstConsumer · Delete/);

  await screenshot(page, 'foundation-default-cluster');
  assert.deepEqual(errors, [], 'the browser console has no errors');
});
