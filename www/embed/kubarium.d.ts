// Types for kubarium.js: the <kubarium-cluster> element and the ES module.
//
// Every method below is synchronous once the cluster is loaded. What is
// asynchronous: loading (`el.ready`, `el.load()`, `load()`, `createCluster()`),
// and an element's own clock (it moves time between frames while playing).

/** What `run` and `apply` return: the command's output (stdout and stderr, in
 * order, as a terminal shows them) and its exit code. */
export interface CommandResult {
  output: string;
  exitCode: number;
}

/** `command`: a command line ran (typed in the console, clicked, a lesson
 * step, or `run`/`apply`). */
export interface CommandEventDetail {
  command: string;
  output: string;
  exitCode: number;
}

/** `change`: an object was added, modified or deleted. Several writes to one
 * object between two frames are one `modified`; a name taken by a new object
 * (a StatefulSet's pod replaced) is a `deleted`, then an `added`. */
export interface ChangeEventDetail {
  op: 'added' | 'modified' | 'deleted';
  /** `Pod`, `StatefulSet`, `PersistentVolumeClaim`, `Node`, `Event`, … */
  kind: string;
  /** Empty for cluster-scoped kinds. */
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
}

/** `time`: simulated time moved, or the clock started or stopped. */
export interface TimeEventDetail {
  /** Milliseconds since the session started. */
  elapsed: number;
  /** The same, as the clock shows it (`1m05s`). */
  clock: string;
  playing: boolean;
}

export interface ClusterEventMap {
  command: CustomEvent<CommandEventDetail>;
  change: CustomEvent<ChangeEventDetail>;
  time: CustomEvent<TimeEventDetail>;
}

/** A duration: milliseconds, or Go's words (`"500ms"`, `"30s"`, `"2m"`, `"1h30m"`). */
export type Duration = number | string;

/** What an element and a headless cluster both offer. Calls throw an `Error`
 * (message starting `kubarium-cluster:`) before the cluster is loaded, and
 * when refused (time does not move while a lesson's question is open). */
export interface ClusterApi {
  /** A kubectl, `cluster` or `sleep` command line, as typed in the console
   * (and shown there): `kubectl get pods -o wide`, `cluster node stop node-b`. */
  run(commandLine: string, stdin?: string): CommandResult;
  /** `kubectl apply -f -` with these manifests. */
  apply(yaml: string): CommandResult;
  /** Lets that much simulated time pass at once; returns the clock (ms). */
  advance(duration: Duration): number;
  /** Runs until nothing more happens; returns the clock (ms). */
  settle(): number;
  play(): void;
  pause(): void;
  /** The cluster as it was first shown (its lesson, manifests and nodes). */
  reset(): void;
  /** The whole session as a share link's fragment (`k1.…`): replayed exactly by `restore`. */
  snapshot(): string;
  /** A session from `snapshot()`, or a Kubarium share link. */
  restore(snapshot: string): void;
  /** An object as `kubectl get -o json` prints it, or `null`; reads only
   * (nothing is shown in the console). `kind` as kubectl takes it: `pod`, `pvc`, `statefulsets`. */
  get(kind: string, name: string, namespace?: string): Record<string, any> | null;
  /** Simulated milliseconds since the session started. */
  readonly time: number;
  readonly playing: boolean;
}

/**
 * `<kubarium-cluster>`. Attributes:
 * - `lesson`: a built-in lesson's id (`statefulset-basics`, `seed000-deployment-loses-data`, …).
 * - `src`: a transcript (`.txt`, or `.md` with ```console blocks), a YAML
 *   manifest, or a Kubarium share link (`…#k1.…`).
 * - the element's text: YAML manifests (applied when it loads) or a transcript
 *   (played step by step, like a lesson).
 * - `nodes`: 3 to 12 nodes (default 3, in three zones).
 * - `height`: the element's height (`500` or any CSS length; default 600px).
 * - `theme`: `light`, `dark`, or `auto` (the reader's setting; default).
 * - `panes`: which of `map side console timeline` are shown (default all).
 * - `controls`: which of `play step speed settle open` are shown (default
 *   all; `open` only when there is a full page to open: `app`).
 * - `autoplay`: the clock runs as soon as it is on screen (otherwise a Start button).
 * - `app`: the full Kubarium page, for "Open in Kubarium" (default: the
 *   `index.html` next to the script, when served from Kubarium's own `dist/`).
 *
 * Nothing loads until the element is near the screen; its clock runs only
 * while it is on screen.
 */
export declare class KubariumCluster extends HTMLElement implements ClusterApi {
  /** Resolves once the cluster is loaded and drawn (does not load it). */
  readonly ready: Promise<void>;
  /** Loads and draws it now, on screen or not. */
  load(): Promise<void>;
  run(commandLine: string, stdin?: string): CommandResult;
  apply(yaml: string): CommandResult;
  advance(duration: Duration): number;
  settle(): number;
  play(): void;
  pause(): void;
  reset(): void;
  snapshot(): string;
  restore(snapshot: string): void;
  get(kind: string, name: string, namespace?: string): Record<string, any> | null;
  readonly time: number;
  readonly playing: boolean;
  addEventListener<K extends keyof ClusterEventMap>(type: K, listener: (this: KubariumCluster, ev: ClusterEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof ClusterEventMap>(type: K, listener: (this: KubariumCluster, ev: ClusterEventMap[K]) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** A cluster without an element: its events are dispatched on itself. */
export interface HeadlessCluster extends ClusterApi, EventTarget {
  addEventListener<K extends keyof ClusterEventMap>(type: K, listener: (ev: ClusterEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  /** Stops its clock and frees its memory. */
  destroy(): void;
}

export interface ClusterOptions {
  /** A built-in lesson's id. */
  lesson?: string;
  /** Manifests, applied at once. */
  yaml?: string;
  /** A transcript, played step by step (as a lesson). */
  transcript?: string;
  /** 3 to 12. */
  nodes?: number;
  /** A `snapshot()` or share link to start from. */
  snapshot?: string;
}

/** Loads the WebAssembly module (once per page; elements do it themselves). */
export declare function load(): Promise<void>;
/** A cluster without an element. */
export declare function createCluster(options?: ClusterOptions): Promise<HeadlessCluster>;
/** Turns ```kubarium fenced code blocks (`<pre><code class="language-kubarium">`)
 * under `root` into elements; runs by itself when the module loads and as
 * the page adds content. Returns how many it turned. */
export declare function upgradeCodeBlocks(root?: ParentNode): number;

declare global {
  interface HTMLElementTagNameMap {
    'kubarium-cluster': KubariumCluster;
  }
}
