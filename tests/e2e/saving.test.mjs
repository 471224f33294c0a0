// Nothing the user typed is lost: a full browser storage is reported (the
// session stays in memory and can be downloaded), two tabs never silently
// overwrite each other's session, a damaged save is kept aside and offered
// back, and the editor's text survives a failed apply and a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser } from './harness.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server?.close(); });

const KEY = 'kubarium.session.v1';

async function run(page, cmd) {
  // As a person at a terminal: the next line is typed once the last one is
  // done (Enter while a command runs is refused and the line stays typed).
  await page.waitForSelector('.entry.running', { state: 'detached' });
  await page.fill('.prompt input', cmd);
  await page.press('.prompt input', 'Enter');
}

test('a full storage is reported and the session can be downloaded', async () => {
  const b = await browser();
  const { page, errors } = b;
  try {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    // Fill the origin's storage to the brim.
    await page.evaluate(() => {
      const chunk = 'x'.repeat(1 << 20);
      for (let i = 0; i < 64; i++) {
        try { localStorage.setItem(`filler-${i}`, chunk); } catch { break; }
      }
      for (let n = 1 << 16; n >= 1; n >>= 1) {
        for (let j = 0; j < 64; j++) { try { localStorage.setItem(`fill-${n}-${j}`, 'y'.repeat(n)); } catch { break; } }
      }
    });
    await run(page, 'kubectl create deployment kept --image=nginx:1.25');
    await page.waitForSelector('.notice:has-text("Saving failed")');
    assert.match(await page.textContent('.notice'), /QuotaExceededError/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.notice button:has-text("Download the session")')]);
    const path = await download.path();
    const text = (await import('node:fs')).readFileSync(path, 'utf8');
    assert.match(text, /"name":"kept"/, 'the download holds the work');
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('two tabs: the newest saves, the other says so and can take over', async () => {
  const b = await browser();
  const { page, context, errors } = b;
  try {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    await run(page, 'kubectl create deployment first-tab --image=nginx:1.25');
    const second = await context.newPage();
    await second.goto(server.url);
    await second.waitForSelector('.node');
    await page.waitForSelector('.notice:has-text("open in another tab")');
    // The first tab keeps working; the saved session is the second tab's.
    await run(page, 'kubectl create deployment only-in-first --image=nginx:1.25');
    await run(second, 'kubectl create deployment second-tab --image=nginx:1.25');
    await page.waitForTimeout(300);
    let saved = await page.evaluate((k) => localStorage.getItem(k), KEY);
    assert.match(saved, /second-tab/);
    assert.doesNotMatch(saved, /only-in-first/, 'the idle tab did not overwrite it');
    // Taking over: now the first tab's session is saved and the second is told.
    await page.click('.notice button:has-text("Save this tab")');
    await second.waitForSelector('.notice:has-text("open in another tab")');
    saved = await page.evaluate((k) => localStorage.getItem(k), KEY);
    assert.match(saved, /only-in-first/);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});

test('a damaged save is kept aside and offered back; the editor survives a failed apply', async () => {
  const b = await browser();
  const { page, errors } = b;
  try {
    await page.goto(server.url);
    await page.waitForSelector('.node');
    // Damage the save while the page is closed: leaving it saves (pagehide),
    // which would otherwise race the damage whenever the clock had moved.
    await page.goto(server.url + 'favicon.svg');
    await page.evaluate((k) => localStorage.setItem(k, '{"version":1,"seed":7,"inputs":[{"op":"nonsense"}'), KEY);
    await page.waitForTimeout(300);
    errors.length = 0; // the bare SVG document asked for /favicon.ico
    await page.goto(server.url);
    await page.waitForSelector('.notice:has-text("could not be restored")');
    assert.equal(await page.evaluate((k) => localStorage.getItem(k + '.unreadable'), KEY), '{"version":1,"seed":7,"inputs":[{"op":"nonsense"}');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.notice button:has-text("Download the damaged save")')]);
    assert.match((await import('node:fs')).readFileSync(await download.path(), 'utf8'), /nonsense/);
    // A failed apply leaves the text alone, and a reload brings it back.
    const broken = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typo\nspec:\n  replica: 2\n';
    await page.click('.editor .cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(broken);
    await page.click('button.primary:has-text("Apply")');
    await page.waitForSelector('.entry.failed');
    await page.waitForTimeout(5500);
    await page.reload();
    await page.waitForSelector('.editor .cm-content');
    await page.waitForFunction(() => document.querySelector('.editor .cm-content')?.textContent.includes('replica: 2'));
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});
