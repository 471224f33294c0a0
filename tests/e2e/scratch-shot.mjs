// scratch: screenshots for looking at (not committed)
import { serve, browser } from './harness.mjs';
const server = await serve(process.env.KUBARIUM_DIST);
const vp = (process.env.VP || '1280x800').split('x').map(Number);
const b = await browser({ viewport: { width: vp[0], height: vp[1] }, colorScheme: process.env.DARK ? 'dark' : 'light' });
const { page, errors } = b;
await page.goto(server.url + (process.env.Q || ''));
await page.waitForSelector('.node');
await page.waitForTimeout(1500);
const steps = (process.env.STEPS || '').split(';;').filter(Boolean);
for (const s of steps) {
  const [op, ...rest] = s.split('::');
  const arg = rest.join('::');
  if (op === 'click') await page.click(arg);
  else if (op === 'run') { await page.fill('#prompt', arg); await page.press('#prompt', 'Enter'); }
  else if (op === 'wait') await page.waitForTimeout(Number(arg));
  else if (op === 'key') await page.keyboard.press(arg);
  else if (op === 'example') { await page.selectOption('select.examples', arg); }
}
await page.waitForTimeout(800);
await page.screenshot({ path: process.env.OUT || '/tmp/shots/shot.png', fullPage: !!process.env.FULL });
console.log('errors:', JSON.stringify(errors));
await b.close(); await server.close();
