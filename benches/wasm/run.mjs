// Runs the settle benchmark's scenario natively and in wasm, alternately,
// and prints both medians and their ratio (`make bench-wasm`).
//
// Native: `cargo bench --bench engine -- settle1` (one run per call, the
// engine built with the bench profile). Wasm: this directory's cdylib
// (wasm32-unknown-unknown, no wasm-bindgen) in Node's V8, built twice: with
// opt-level 3 like the native bench ("release") and with opt-level "z" like
// the page ("page"). Each wasm run gets a fresh instance; only `settle` is
// timed, as the native bench times only apply_and_settle.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const runs = Number(process.env.RUNS ?? 5);
const wasmPath = (profile) => path.join(here, 'target/wasm32-unknown-unknown', profile, 'kubarium_bench_wasm.wasm');

function native() {
  const r = spawnSync('cargo', ['bench', '--locked', '--quiet', '--bench', 'engine', '--', 'settle1'], { cwd: root, encoding: 'utf8' });
  const m = /settle1 ms=([\d.]+) pods=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`native run printed no figure:\n${r.stdout}\n${r.stderr}`);
  return { ms: Number(m[1]), pods: Number(m[2]) };
}

function wasm(module) {
  // The engine calls none of the browser imports wasm-bindgen leaves in the
  // module; they throw if it ever does.
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = () => { throw new Error(`wasm import ${imp.module}.${imp.name} called`); };
  }
  const { exports } = new WebAssembly.Instance(module, imports);
  exports.prepare(100);
  const t = performance.now();
  const pods = exports.settle(1000, 1000);
  return { ms: performance.now() - t, pods };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const modules = Object.fromEntries(['release', 'page'].map((p) => [p, new WebAssembly.Module(fs.readFileSync(wasmPath(p)))]));
const times = { native: [], release: [], page: [] };
for (let i = 0; i < runs; i++) {
  const n = native();
  times.native.push(n.ms);
  for (const p of ['release', 'page']) {
    const w = wasm(modules[p]);
    if (w.pods !== n.pods) throw new Error(`wasm (${p}) ran ${w.pods} pods, native ${n.pods}`);
    times[p].push(w.ms);
  }
}
const fmt = (v) => `median ${median(v).toFixed(1)} ms (${v.map((x) => x.toFixed(0)).join(', ')})`;
console.log(`settle 1000-replica StatefulSet (Parallel) + 1000-replica Deployment on 100 nodes, ${runs} runs alternated:`);
console.log(`  native (bench profile, opt-level 3): ${fmt(times.native)}`);
console.log(`  wasm in Node ${process.version}, opt-level 3: ${fmt(times.release)}`);
console.log(`  wasm in Node ${process.version}, opt-level z (the page's): ${fmt(times.page)}`);
console.log(`  ratio wasm / native: ${(median(times.release) / median(times.native)).toFixed(2)}x (opt-level 3), ${(median(times.page) / median(times.native)).toFixed(2)}x (opt-level z)`);
