// The page's YAML editor: CodeMirror 6 with YAML highlighting, history,
// line numbers and diagnostics placed by the engine (line/column).
// Bundled by build.mjs into www/editor.bundle.js; bound from Rust with
// wasm-bindgen (src/ui/editor.rs).
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from '@codemirror/view';
import { EditorState, Compartment } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentMore, indentLess } from '@codemirror/commands';
import { syntaxHighlighting, HighlightStyle, StreamLanguage, indentUnit, bracketMatching } from '@codemirror/language';
import { yaml } from '@codemirror/legacy-modes/mode/yaml';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { tags as t } from '@lezer/highlight';

// Colours come from CSS variables so the editor follows the page theme.
const style = HighlightStyle.define([
  { tag: t.comment, color: 'var(--code-comment)', fontStyle: 'italic' },
  { tag: [t.atom, t.bool, t.null], color: 'var(--code-atom)' },
  { tag: t.number, color: 'var(--code-number)' },
  { tag: [t.string, t.special(t.string)], color: 'var(--code-string)' },
  { tag: [t.propertyName, t.definition(t.propertyName)], color: 'var(--code-key)' },
  { tag: [t.keyword, t.meta, t.definition(t.keyword)], color: 'var(--code-meta)' },
  { tag: t.punctuation, color: 'var(--muted)' },
]);

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '13px', backgroundColor: 'var(--panel)', color: 'var(--ink)' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.45' },
  '.cm-gutters': { backgroundColor: 'var(--panel)', color: 'var(--muted)', borderRight: '1px solid var(--line)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'var(--active-line)' },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '-2px' },
  '.cm-cursor': { borderLeftColor: 'var(--ink)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: 'var(--selection)' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--ink)', border: '1px solid var(--line)' },
});

function lineCol(doc, line, col) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max(col - 1, 0), l.to);
}

/**
 * Mounts an editor in `parent`.
 * onChange(text) is called after every change; onApply() on Ctrl/Cmd+Enter.
 * Tab indents; Escape then Tab moves focus on (CodeMirror's focus escape).
 */
export function createEditor(parent, doc, onChange, onApply, label) {
  const editable = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(), history(), bracketMatching(),
        indentUnit.of('  '), EditorState.tabSize.of(2),
        StreamLanguage.define(yaml), syntaxHighlighting(style), lintGutter(), theme,
        editable.of(EditorView.editable.of(true)),
        EditorView.contentAttributes.of({ 'aria-label': label || 'YAML editor' }),
        keymap.of([
          { key: 'Mod-Enter', preventDefault: true, run: () => { onApply(); return true; } },
          { key: 'Tab', run: indentMore }, { key: 'Shift-Tab', run: indentLess },
          ...historyKeymap, ...defaultKeymap,
        ]),
        EditorView.updateListener.of((u) => { if (u.docChanged) onChange(u.state.doc.toString()); }),
      ],
    }),
  });
  return {
    getDoc: () => view.state.doc.toString(),
    setDoc: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    /** diagnostics: [{line, col, endLine?, endCol?, severity: 'error'|'warning', message}] (1-based) */
    setDiagnostics: (list) => {
      const d = view.state.doc;
      const diags = list.map((x) => {
        const from = lineCol(d, x.line, x.col);
        let to = x.endLine ? lineCol(d, x.endLine, x.endCol || 1) : d.lineAt(from).to;
        if (to <= from) to = Math.min(from + 1, d.length);
        return { from, to, severity: x.severity || 'error', message: x.message };
      });
      view.dispatch(setDiagnostics(view.state, diags));
    },
    /** Puts the cursor at a line/column and scrolls there. */
    reveal: (line, col) => {
      const pos = lineCol(view.state.doc, line, col);
      view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      view.focus();
    },
    setReadOnly: (ro) => view.dispatch({ effects: editable.reconfigure(EditorView.editable.of(!ro)) }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
