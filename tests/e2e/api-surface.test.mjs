// Kinds the engine stores without interpreting them, as a person pastes
// them from their own application: the editor flags a misspelt field of a
// generic kind where it is (from the API schema fetched after the first
// frame), the server refuses it with kubectl's words, and once fixed every
// document is created and listed with kubectl's columns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, browser, screenshot } from './harness.mjs';

let server, b;
before(async () => { server = await serve(); b = await browser({ viewport: { width: 1280, height: 800 } }); });
after(async () => { await b?.close(); await server?.close(); });

const APP = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: jane-reads-pods
subjects:
- kind: User
  name: jane
  apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: busybox:1.36
            command: ["date"]
`;

async function paste(page, text) {
  await page.click('.editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

const lastOutput = (page) => page.$$eval('.console-out .entry .out', (els) => els.length ? els[els.length - 1].textContent : '');

test('an Ingress, a Role and a CronJob from a real application apply, with a typo found first', async () => {
  const { page, errors } = b;
  await page.goto(server.url);
  await page.waitForSelector('.node');
  await page.waitForSelector('.editor .cm-content');
  // kubectl explain answers once the schema table is there.
  await page.fill('.prompt input', 'kubectl explain ingress.spec.rules.host');
  await page.press('.prompt input', 'Enter');
  await page.waitForFunction(() => /FIELD: host <string>/.test(document.querySelector('.console-out')?.textContent ?? ''), null, { timeout: 20_000 });

  await paste(page, APP.replace('- apiGroups: [""]', '- apiGroup: [""]'));
  await page.waitForSelector('.diag.warning');
  assert.match(await page.textContent('.diags'), /unknown field "rules\[0\]\.apiGroup"/);
  await page.click('button.primary:has-text("Apply")');
  assert.match(await lastOutput(page), /Role in version "v1" cannot be handled as a Role: strict decoding error: unknown field "rules\[0\]\.apiGroup"/);
  await screenshot(page, 'api-surface-1-typo');

  // Fixed and applied from the keyboard alone (Ctrl+Enter in the editor).
  await paste(page, APP);
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => /cronjob\.batch\/report created/.test(document.querySelector('.console-out')?.textContent ?? ''));
  const out = await page.textContent('.console-out');
  assert.match(out, /ingress\.networking\.k8s\.io\/shop created/);
  assert.match(out, /role\.rbac\.authorization\.k8s\.io\/pod-reader created/);

  await page.fill('.prompt input', 'kubectl get ingress,cronjobs');
  await page.press('.prompt input', 'Enter');
  await page.waitForFunction(() => /SCHEDULE/.test(document.querySelector('.console-out')?.textContent ?? ''));
  const table = await lastOutput(page);
  assert.match(table, /NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\ningress\.networking\.k8s\.io\/shop\s+nginx\s+shop\.example\.com\s+80\s+/);
  assert.match(table, /cronjob\.batch\/report\s+\*\/5 \* \* \* \*\s+<none>\s+false\s+0\s+<none>/);
  await screenshot(page, 'api-surface-2-applied');

  // The Role, bound to jane, is what the API server's authorizer answers from.
  for (const [cmd, answer] of [['list pods', 'yes'], ['delete pods', 'no']]) {
    await page.fill('.prompt input', `kubectl auth can-i ${cmd} --as=jane`);
    await page.press('.prompt input', 'Enter');
    await page.waitForFunction((c) => document.querySelector('.console-out')?.textContent.includes(`can-i ${c} --as=jane`), cmd);
    assert.equal((await lastOutput(page)).trim(), answer);
  }
  assert.deepEqual(errors, []);
});
