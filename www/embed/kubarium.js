// <kubarium-cluster>: a simulated Kubernetes 1.36 cluster in a documentation
// page, from one script tag:
//
//   <script type="module" src="https://…/kubarium/kubarium.js"></script>
//   <kubarium-cluster lesson="statefulset-basics"></kubarium-cluster>
//
// Each element is its own cluster, clock and state, drawn in its own shadow
// root; the WebAssembly module is loaded once, when the first element
// scrolls into view. The same module is the npm package's entry point (see
// kubarium.d.ts for the API). Nothing here touches localStorage or the URL.
//
// The build (scripts/embed.mjs) fills in the file names below.

const GLUE = () => import('__KUBARIUM_GLUE__');
const WASM = () => new URL('__KUBARIUM_WASM__', import.meta.url);
const CSS = () => new URL('__KUBARIUM_CSS__', import.meta.url);
const EXPLAIN = () => new URL('./explain_data.json', import.meta.url);
const LESSON = (id) => new URL(`./lessons/${id}.txt`, import.meta.url);
const LOGO = () => new URL('./favicon.svg', import.meta.url).href;
/** The full page, for "Open in Kubarium" (none in the npm package unless `app` says). */
const APP = () => __KUBARIUM_APP__;

const TAG = 'kubarium-cluster';
const CONTENT_ATTRS = ['lesson', 'src', 'nodes', 'panes', 'controls', 'autoplay', 'app'];
const FENCE_ATTRS = [...CONTENT_ATTRS, 'theme', 'height', 'id'];

let wasm = null;
/** Loads the WebAssembly module (once per page); resolves to its exports. */
function loadGlue() {
  if (!wasm) {
    wasm = (async () => {
      // The module's own start would draw the full page on <body>.
      globalThis.__kubariumElement = true;
      const glue = await GLUE();
      await glue.default({ module_or_path: WASM() });
      return glue;
    })();
    wasm.catch(() => { wasm = null; });
  }
  return wasm;
}

/** Loads the WebAssembly module (once per page; elements do it themselves). */
export function load() {
  return loadGlue().then(() => {});
}

/** Fetches the API schema table (kubectl explain, and the check of every
 * kind the engine stores without interpreting) once per page; resolves when
 * it is handed over or could not be fetched. */
let explainAsked = null;
function fetchExplain(glue) {
  explainAsked ??= fetch(EXPLAIN()).then((r) => (r.ok ? r.text() : null)).then((t) => { if (t) glue.provideExplain(t); }).catch(() => {});
  return explainAsked;
}

/** Fetches a built-in lesson's transcript (once per page and lesson);
 * resolves when it is handed over or could not be fetched (the cluster then
 * says there is no such lesson). */
const lessonsAsked = new Map();
function fetchLesson(glue, id) {
  if (!id || !/^[\w-]+$/.test(id)) return null;
  if (!lessonsAsked.has(id)) {
    lessonsAsked.set(id, fetch(LESSON(id)).then((r) => (r.ok ? r.text() : null)).then((t) => { if (t) glue.provideLesson(id, t); }).catch(() => {}));
  }
  return lessonsAsked.get(id);
}

// ---------------------------------------------------------------- styles

let cssText = null;
const sheets = {};
/** The page's style sheet, fitted to a shadow root: `:root` is the host, sizes
 * do not follow the page's root font size, the layout follows the element's
 * width (container queries) rather than the window's, and `theme` picks the
 * colours. One constructed sheet per theme, shared by every element. */
async function sheetFor(theme) {
  cssText ??= fetch(CSS()).then((r) => {
    if (!r.ok) throw new Error(`${CSS()}: ${r.status}`);
    return r.text();
  });
  const text = await cssText;
  theme = theme === 'dark' || theme === 'light' ? theme : 'auto';
  if (!sheets[theme]) {
    let css = text
      .replace(/:root\b/g, ':host')
      .replace(/(\d*\.?\d+)rem\b/g, 'calc($1 * var(--kb-rem))')
      .replace(/100vh\b/g, '100%')
      .replace(/@media\s*\(\s*(max|min)-width\s*:\s*(\d+)px\s*\)/g, '@container kubarium ($1-width: $2px)');
    if (theme !== 'auto') {
      css = css.replace(/@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)/g, theme === 'dark' ? '@media all' : '@media not all');
    }
    const host = `:host { all: initial; display: block; position: relative; box-sizing: border-box; height: var(--kubarium-height, 600px);
      border: 1px solid var(--line); border-radius: 10px; overflow: hidden; --kb-rem: 15px; font-size: 15px;
      color-scheme: ${theme === 'auto' ? 'light dark' : theme}; contain: content; }
    :host([hidden]) { display: none; }
    .kb-root { height: 100%; overflow: auto; container: kubarium / inline-size; }
    .kb-wait { height: 100%; display: flex; align-items: center; justify-content: center; padding: 1rem; color: var(--muted); font: 14px system-ui, sans-serif; text-align: center; }
    .kb-wait.failed { color: var(--bad); }\n`;
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(host + css);
    sheets[theme] = sheet;
  }
  return sheets[theme];
}

let waiting = null;
/** Until the cluster loads: its box, so the page does not jump. */
function waitSheet() {
  if (!waiting) {
    waiting = new CSSStyleSheet();
    waiting.replaceSync(`:host { display: block; box-sizing: border-box; height: var(--kubarium-height, 600px); border: 1px dashed #9aa4b5; border-radius: 10px; }
      :host([hidden]) { display: none; }
      .kb-wait { height: 100%; display: flex; align-items: center; justify-content: center; padding: 1rem; color: #5b6575; font: 14px system-ui, sans-serif; text-align: center; }
      .kb-wait.failed { color: #b8321f; }`);
  }
  return waiting;
}

// ---------------------------------------------------------------- input

/** What an element's `src` holds: `#k1.…` is a shared session (nothing to
 * fetch), `.md` a Markdown transcript, anything else a transcript or YAML. */
async function readSrc(src) {
  const url = new URL(src, document.baseURI);
  if (url.hash.startsWith('#k1.')) return { share: url.hash.slice(1) };
  try {
    const r = await fetch(url);
    if (!r.ok) return { error: `src "${src}" could not be read (${r.status} ${r.statusText})` };
    return { text: await r.text(), markdown: /\.md$/i.test(url.pathname) };
  } catch (e) {
    return { error: `src "${src}" could not be read (${e.message})` };
  }
}

async function configOf(el) {
  const a = (n) => (el.hasAttribute(n) ? el.getAttribute(n) : null);
  const cfg = {
    lesson: a('lesson'), nodes: a('nodes'), panes: a('panes'), controls: a('controls'),
    autoplay: el.hasAttribute('autoplay'), openUrl: a('app') ?? APP(), logo: LOGO(),
  };
  // Without a full page to open, there is no "Open in Kubarium".
  if (!cfg.openUrl) cfg.controls = (cfg.controls ?? 'play step speed settle open').split(/[\s,]+/).filter((w) => w && w !== 'open').join(' ') || 'none';
  if (a('src')) Object.assign(cfg, await readSrc(a('src')));
  else if (el._text.trim()) cfg.text = el._text;
  if (cfg.openUrl) cfg.openUrl = new URL(cfg.openUrl, document.baseURI).href;
  return cfg;
}

// ---------------------------------------------------------------- the API

/** The methods an element and a headless cluster share (kubarium.d.ts). */
const api = {
  run(commandLine, stdin) { return this._handle().run(String(commandLine), stdin ?? undefined); },
  apply(yaml) { return this._handle().apply(String(yaml)); },
  advance(duration) { return this._handle().advance(duration); },
  settle() { return this._handle().settle(); },
  play() { this._handle().play(); this._clock?.(); },
  pause() { this._handle().pause(); this._clock?.(); },
  reset() { this._handle().reset(); },
  snapshot() { return this._handle().snapshot(); },
  restore(snapshot) { this._handle().restore(String(snapshot)); },
  get(kind, name, namespace) { return this._handle().get(kind, name, namespace ?? undefined); },
};
const getters = {
  time: { get() { return this._h ? this._h.time : 0; } },
  playing: { get() { return this._h ? this._h.playing : false; } },
};

function emitter(target) {
  return (type, detail) => target.dispatchEvent(new CustomEvent(type, { detail: JSON.parse(detail), bubbles: true }));
}

const Base = globalThis.HTMLElement ?? class {};

/** `<kubarium-cluster>`. */
export class KubariumCluster extends Base {
  static get observedAttributes() { return [...CONTENT_ATTRS, 'theme', 'height']; }

  constructor() {
    super();
    this._h = null;
    this._text = '';
    this._loading = null;
    let ok;
    /** Resolves once the cluster is loaded and drawn. */
    this.ready = new Promise((r) => { ok = r; });
    this._ready = ok;
  }

  _handle() {
    if (!this._h) throw new Error(`${TAG}: not loaded yet (await el.load(), or el.ready)`);
    return this._h;
  }

  connectedCallback() {
    if (this._gone) { clearTimeout(this._gone); this._gone = null; }
    if (!this.shadowRoot) {
      // The inline YAML or transcript is read now, before anything can change it.
      this._text = this.textContent;
      if (!this.hasAttribute('role')) this.setAttribute('role', 'region');
      if (!this.hasAttribute('aria-label')) this.setAttribute('aria-label', 'Kubarium: a simulated Kubernetes cluster');
      const root = this.attachShadow({ mode: 'open' });
      root.adoptedStyleSheets = [waitSheet()];
      const wait = document.createElement('div');
      wait.className = 'kb-wait';
      wait.setAttribute('role', 'status');
      wait.textContent = 'Kubarium: a simulated Kubernetes cluster. It starts when it scrolls into view.';
      root.append(wait);
      this._applyHeight();
    }
    if (this._seen) return;
    // Lazy: nothing loads or runs until the element is (nearly) on screen.
    this._seen = new IntersectionObserver((entries) => {
      const on = entries.some((e) => e.isIntersecting);
      if (on && !this._loading) this.load();
      this._h?.visible(on);
    }, { rootMargin: '200px' });
    this._seen.observe(this);
  }

  disconnectedCallback() {
    // Moved rather than removed: keep it; removed: free its cluster.
    this._gone = setTimeout(() => {
      this._seen?.disconnect();
      this._seen = null;
      this._resize?.disconnect();
      this._h?.free();
      this._h = null;
      this._loading = null;
    }, 0);
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (name === 'height') this._applyHeight();
    else if (name === 'theme') { if (this._h) sheetFor(value).then((s) => { this.shadowRoot.adoptedStyleSheets = [s]; }); }
    else if (this._h) { this._h.free(); this._h = null; this._loading = null; this.load(); }
  }

  _applyHeight() {
    const h = this.getAttribute('height');
    if (h) this.style.setProperty('--kubarium-height', /^\d+$/.test(h) ? `${h}px` : h);
    else this.style.removeProperty('--kubarium-height');
  }

  /** Loads and draws the cluster now (it does by itself once on screen). */
  load() {
    this._loading ??= (async () => {
      try {
        const [glue, sheet, cfg] = await Promise.all([loadGlue(), sheetFor(this.getAttribute('theme')), configOf(this)]);
        // A text that writes a kind checked against the schema table waits for it.
        if (cfg.text && glue.needsSchema(cfg.text)) await fetchExplain(glue);
        await fetchLesson(glue, cfg.lesson);
        const root = this.shadowRoot;
        root.adoptedStyleSheets = [sheet];
        const mount = document.createElement('div');
        mount.className = 'kb-root';
        root.replaceChildren(mount);
        this._h = new glue.Cluster(mount, cfg, emitter(this));
        this._resize?.disconnect();
        this._resize = new ResizeObserver((es) => this._h?.resize(es[es.length - 1].contentRect.width));
        this._resize.observe(this);
        fetchExplain(glue);
        this._ready();
        this.dispatchEvent(new CustomEvent('ready', { bubbles: true }));
      } catch (e) {
        const wait = this.shadowRoot.querySelector('.kb-wait');
        if (wait) { wait.classList.add('failed'); wait.textContent = `Kubarium could not start: ${e.message}`; }
        this._loading = null;
        throw e;
      }
    })();
    return this._loading;
  }
}
Object.assign(KubariumCluster.prototype, api);
Object.defineProperties(KubariumCluster.prototype, getters);

/** A cluster without an element: the same API, events on the object itself;
 * its clock runs (on a timer) only while `play()`ed. */
class HeadlessCluster extends EventTarget {
  constructor(handle) {
    super();
    this._h = handle;
    let last = 0;
    this._clock = () => {
      clearInterval(this._timer);
      this._timer = null;
      if (this._h?.playing) {
        last = performance.now();
        this._timer = setInterval(() => { const t = performance.now(); this._h?.frame(Math.min(t - last, 1000)); last = t; }, 100);
      }
    };
  }
  _handle() {
    if (!this._h) throw new Error('kubarium: this cluster was destroyed');
    return this._h;
  }
  /** Stops its clock and frees its memory. */
  destroy() { clearInterval(this._timer); this._h?.free(); this._h = null; }
}
Object.assign(HeadlessCluster.prototype, api);
Object.defineProperties(HeadlessCluster.prototype, getters);

/** A cluster without an element (kubarium.d.ts: `ClusterOptions`). */
export async function createCluster(options = {}) {
  const glue = await loadGlue();
  fetchExplain(glue);
  const cfg = { lesson: options.lesson ?? null, nodes: options.nodes == null ? null : String(options.nodes), autoplay: false };
  if (options.yaml ?? options.transcript) cfg.text = options.yaml ?? options.transcript;
  if (cfg.text && glue.needsSchema(cfg.text)) await fetchExplain(glue);
  await fetchLesson(glue, cfg.lesson);
  if (options.snapshot) cfg.share = options.snapshot.replace(/^.*#/, '');
  const c = new HeadlessCluster(null);
  c._h = new glue.Cluster(null, cfg, emitter(c));
  return c;
}

// ------------------------------------------------------ Markdown convention

/** Turns each fenced code block marked `kubarium` (rendered as
 * `<pre><code class="language-kubarium">`) into an element. Leading comment
 * lines `# kubarium: name=value flag …` become its attributes; the rest is its
 * text (manifests, or a transcript). Returns how many it replaced. */
export function upgradeCodeBlocks(root = globalThis.document) {
  if (!root?.querySelectorAll) return 0;
  let n = 0;
  for (const code of root.querySelectorAll('pre > code.language-kubarium, pre > code.lang-kubarium, pre.language-kubarium > code')) {
    const pre = code.parentElement;
    const el = document.createElement(TAG);
    const lines = code.textContent.split('\n');
    while (lines.length && /^#\s*kubarium:/.test(lines[0])) {
      const spec = lines.shift().replace(/^#\s*kubarium:/, '');
      for (const m of spec.matchAll(/([\w-]+)(?:=("([^"]*)"|'([^']*)'|\S+))?/g)) {
        // Only the element's own attributes (Markdown may come from anyone: no onclick).
        if (FENCE_ATTRS.includes(m[1])) el.setAttribute(m[1], m[3] ?? m[4] ?? m[2] ?? '');
      }
    }
    el.textContent = lines.join('\n');
    pre.replaceWith(el);
    n++;
  }
  return n;
}

if (globalThis.customElements && !customElements.get(TAG)) {
  customElements.define(TAG, KubariumCluster);
}
if (globalThis.document) {
  const scan = () => upgradeCodeBlocks(document);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan, { once: true });
  else scan();
  // Docs sites that render on the client add their code blocks later.
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; scan(); });
  }).observe(document.documentElement, { childList: true, subtree: true });
}
