/*
 * Server Scripts – code editor.
 *
 * Progressively enhances every <textarea data-code-editor="python"> with a
 * CodeMirror 6 editor. The textarea stays in the form (hidden) and its value
 * is kept in sync on every change, so a normal form POST submits the code.
 * Without JavaScript the plain textarea keeps working.
 *
 * Bundled by esbuild into static/build/editor.js (see package.json "build").
 * Markup and attributes are documented in docs/frontend.md.
 */
import { EditorState } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
  dropCursor,
  rectangularSelection,
  crosshairCursor,
} from "@codemirror/view";
import {
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
  defaultHighlightStyle,
  bracketMatching,
  foldGutter,
  foldKeymap,
} from "@codemirror/language";
import {
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab,
  temporarilySetTabFocusMode,
} from "@codemirror/commands";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from "@codemirror/autocomplete";
import { lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { python, pythonLanguage } from "@codemirror/lang-python";

const SELECTOR = 'textarea[data-code-editor="python"]';
const VALIDATE_DELAY_MS = 400;

/** textarea -> instance, view -> instance, wrapper -> instance */
const byTextarea = new WeakMap();
const byView = new WeakMap();
const byWrapper = new WeakMap();
const instances = [];

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

function parseJSONAttr(el, name, fallback) {
  const raw = el.getAttribute(name);
  if (raw == null || raw.trim() === "") return fallback;
  try {
    return JSON.parse(raw);
  } catch (e) {
    if (window.console) console.warn("ScriptEditor: invalid JSON in " + name, e);
    return fallback;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") || "" : "";
}

/** Normalise whatever the server sent into [{line, column, message, severity}]. */
function normaliseErrors(errors) {
  if (!errors) return [];
  if (!Array.isArray(errors)) errors = [errors];
  const out = [];
  for (const err of errors) {
    if (err == null) continue;
    if (typeof err === "string") {
      out.push({ line: null, column: null, message: err, severity: "error" });
      continue;
    }
    const line = parseInt(err.line != null ? err.line : err.lineno, 10);
    const column = parseInt(err.column != null ? err.column : err.offset, 10);
    const severity = ["error", "warning", "info", "hint"].indexOf(err.severity) >= 0 ? err.severity : "error";
    out.push({
      line: Number.isFinite(line) && line > 0 ? line : null,
      column: Number.isFinite(column) && column > 0 ? column : null,
      message: String(err.message != null ? err.message : err.msg != null ? err.msg : "Error"),
      severity,
    });
  }
  return out;
}

/** Turn {line, column} (1-based) into a CodeMirror Diagnostic on that line. */
function toDiagnostics(doc, errors) {
  const diagnostics = [];
  for (const err of errors) {
    if (err.line == null) continue;
    const lineNo = Math.min(Math.max(err.line, 1), doc.lines);
    const line = doc.line(lineNo);
    let from = line.from;
    if (err.column != null) from = Math.min(line.from + err.column - 1, line.to);
    let to = line.to;
    if (from >= to) {
      // Column at/after the end of the line: underline the whole line
      // (or mark the empty line as a point diagnostic).
      from = line.from;
      to = line.to;
    }
    diagnostics.push({ from, to, severity: err.severity, message: err.message, source: "server" });
  }
  return diagnostics;
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */
/* ------------------------------------------------------------------ */

function completionOptions(list) {
  const options = [];
  for (const item of list || []) {
    if (typeof item === "string") {
      const last = item.split(".").pop();
      options.push({
        label: item,
        type: /^[A-Z_][A-Z0-9_]*$/.test(last) ? "constant" : item.indexOf(".") >= 0 ? "function" : "variable",
        boost: 1,
      });
    } else if (item && item.label) {
      options.push({
        label: String(item.label),
        type: item.type || "function",
        detail: item.detail,
        info: item.info || item.description,
        apply: item.apply,
        boost: 1,
      });
    }
  }
  return options;
}

function dottedCompletionSource(options) {
  return (context) => {
    const word = context.matchBefore(/[A-Za-z_][\w.]*/);
    if (!word) {
      return context.explicit ? { from: context.pos, options, validFor: /^[\w.]*$/ } : null;
    }
    // Only offer names that extend what was typed (dotted prefix match);
    // CodeMirror then fuzzy-filters/ranks them against the typed text.
    const typed = word.text;
    const matching = options.filter((o) => o.label.startsWith(typed) || o.label.split(".").pop().startsWith(typed));
    if (!matching.length) return null;
    return { from: word.from, options: matching, validFor: /^[\w.]*$/ };
  };
}

/* ------------------------------------------------------------------ */
/* Editor instance                                                     */
/* ------------------------------------------------------------------ */

function mount(textarea) {
  if (byTextarea.has(textarea)) return byTextarea.get(textarea);

  const wrapper = document.createElement("div");
  wrapper.className = "code-editor";
  wrapper.setAttribute("data-editor-mounted", "1");
  if (textarea.id) wrapper.setAttribute("data-editor-for", textarea.id);
  // Minimum height follows the textarea's rows (see .code-editor in app.css).
  const rows = parseInt(textarea.getAttribute("rows"), 10);
  if (Number.isFinite(rows) && rows > 0) wrapper.style.setProperty("--editor-rows", String(rows));

  const errorList = document.createElement("ul");
  errorList.className = "editor-errors";
  errorList.setAttribute("aria-live", "polite");
  errorList.hidden = true;

  const completions = completionOptions(parseJSONAttr(textarea, "data-completions", []));
  const readOnly = textarea.readOnly || textarea.disabled;

  const instance = {
    textarea,
    wrapper,
    errorList,
    view: null,
    errors: [],
    validateUrl: textarea.getAttribute("data-validate-url") || "",
    validateTimer: null,
    validateSeq: 0,
    validateAbort: null,
  };

  const label = textarea.id ? document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]') : null;
  const contentAttrs = {};
  const ariaLabel = textarea.getAttribute("aria-label") || (label ? label.textContent.trim() : "") || "Code editor";
  contentAttrs["aria-label"] = ariaLabel;

  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    foldGutter(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentOnInput(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ activateOnTyping: true }),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    lintGutter(),
    python(),
    keymap.of([
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      ...foldKeymap,
      ...completionKeymap,
      ...lintKeymap,
      indentWithTab,
      // Keyboard users leave the editor with Escape then Tab (Ctrl-M toggles
      // Tab-moves-focus mode permanently; that one is in defaultKeymap).
      { key: "Escape", run: temporarilySetTabFocusMode },
    ]),
    EditorView.contentAttributes.of(contentAttrs),
    EditorState.readOnly.of(readOnly),
    EditorView.editable.of(!readOnly),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      syncTextarea(instance);
      scheduleValidate(instance);
    }),
  ];
  if (completions.length) {
    extensions.push(pythonLanguage.data.of({ autocomplete: dottedCompletionSource(completions) }));
  }

  textarea.parentNode.insertBefore(wrapper, textarea.nextSibling);
  wrapper.parentNode.insertBefore(errorList, wrapper.nextSibling);

  const view = new EditorView({
    state: EditorState.create({ doc: textarea.value, extensions }),
    parent: wrapper,
  });
  instance.view = view;

  textarea.hidden = true;
  textarea.style.display = "none";
  textarea.setAttribute("data-editor-mounted", "1");

  byTextarea.set(textarea, instance);
  byView.set(view, instance);
  byWrapper.set(wrapper, instance);
  instances.push(instance);

  // Clicking the field's <label> focuses the editor.
  if (label) {
    label.addEventListener("click", (e) => {
      e.preventDefault();
      view.focus();
    });
  }
  // Belt and braces: make sure the textarea holds the latest code on submit.
  if (textarea.form) {
    textarea.form.addEventListener("submit", () => {
      syncTextarea(instance, true);
      rememberPosition(instance);
    });
  }
  // The editor shows a save error at its line: the no-JS copy under the field goes.
  const field = textarea.closest(".field");
  if (field) field.querySelectorAll("[data-editor-shows-this]").forEach((el) => { el.hidden = true; });

  const initialErrors = parseJSONAttr(textarea, "data-errors", null);
  if (initialErrors && initialErrors.length) setErrors(instance, initialErrors);
  if (!readOnly) {
    // After a save: back where the cursor was, or at the line of the error that stopped it.
    restorePosition(instance);
    const first = instance.errors.find((e) => e.line != null);
    if (first) goToLine(view, first.line, first.column);
  }

  return instance;
}

function syncTextarea(instance, silent) {
  const value = instance.view.state.doc.toString();
  if (instance.textarea.value === value) return;
  instance.textarea.value = value;
  if (!silent) instance.textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

function renderErrorList(instance) {
  const list = instance.errorList;
  list.textContent = "";
  for (const err of instance.errors) {
    const li = document.createElement("li");
    li.className = "editor-error editor-error-" + err.severity;
    const text = (err.line != null ? "Line " + err.line + ": " : "") + err.message;
    if (err.line != null) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "editor-error-link";
      btn.textContent = text;
      btn.title = "Go to line " + err.line;
      btn.addEventListener("click", () => goToLine(instance.view, err.line, err.column));
      li.appendChild(btn);
    } else {
      li.textContent = text;
    }
    list.appendChild(li);
  }
  list.hidden = instance.errors.length === 0;
  instance.wrapper.classList.toggle("has-errors", instance.errors.length > 0);
}

function goToLine(view, lineNo, column) {
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(lineNo, 1), doc.lines));
  const pos = column ? Math.min(line.from + column - 1, line.to) : line.from;
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}

function setErrors(instance, errors) {
  instance.errors = normaliseErrors(errors);
  const view = instance.view;
  view.dispatch(setDiagnostics(view.state, toDiagnostics(view.state.doc, instance.errors)));
  renderErrorList(instance);
}

/* ------------------------------------------------------------------ */
/* Server-side validation                                              */
/* ------------------------------------------------------------------ */

function scheduleValidate(instance) {
  if (!instance.validateUrl) return;
  clearTimeout(instance.validateTimer);
  instance.validateTimer = setTimeout(() => validate(instance), VALIDATE_DELAY_MS);
}

function validate(instance) {
  if (!instance.validateUrl || typeof fetch !== "function") return Promise.resolve();
  if (instance.validateAbort) instance.validateAbort.abort();
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  instance.validateAbort = controller;
  const seq = ++instance.validateSeq;
  const source = instance.view.state.doc.toString();
  instance.wrapper.setAttribute("data-validate-status", "pending");

  return fetch(instance.validateUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-Frappe-CSRF-Token": csrfToken(),
    },
    body: JSON.stringify({ script: source }),
    signal: controller ? controller.signal : undefined,
  })
    .then((resp) =>
      resp
        .json()
        .catch(() => null)
        .then((data) => {
          if (!data || !Array.isArray(data.errors)) {
            throw new Error("validate: unexpected reply (HTTP " + resp.status + ")");
          }
          return data.errors;
        })
    )
    .then((errors) => {
      // Ignore replies to older requests, and replies for a document that
      // has changed since (another validation is already scheduled).
      if (seq !== instance.validateSeq) return;
      instance.wrapper.setAttribute("data-validate-status", errors.length ? "invalid" : "ok");
      setErrors(instance, errors);
    })
    .catch((err) => {
      if (seq !== instance.validateSeq) return;
      if (err && err.name === "AbortError") return;
      // Network/server failure: keep editing working, keep the old markers.
      instance.wrapper.setAttribute("data-validate-status", "failed");
      if (window.console) console.warn("ScriptEditor: validation request failed", err);
    });
}

/* ------------------------------------------------------------------ */
/* Template buttons                                                    */
/* ------------------------------------------------------------------ */

/** The form fields a template sets ({fieldname: value}), from data-template-fields. */
function templateFields(button) {
  const fields = parseJSONAttr(button, "data-template-fields", {});
  return fields && typeof fields === "object" ? fields : {};
}

function fieldValue(el) {
  return el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
}

function setField(el, value) {
  if (el.type === "checkbox") el.checked = !!value && value !== "0";
  else el.value = value == null ? "" : String(value);
  el.dispatchEvent(new Event("input", { bubbles: true }));
  el.dispatchEvent(new Event("change", { bubbles: true }));
}

function onTemplateClick(event) {
  const button = event.target.closest && event.target.closest("[data-script-template]");
  if (!button || button.disabled) return;
  event.preventDefault();
  let instance = null;
  const target = button.getAttribute("data-target");
  if (target) {
    const ta = document.getElementById(target.replace(/^#/, ""));
    instance = ta ? byTextarea.get(ta) : null;
  }
  if (!instance) instance = instances[0];
  if (!instance) return;
  const view = instance.view;
  const text = button.getAttribute("data-script-template") || "";
  const form = instance.textarea.form;
  // Each field the template sets: type, doctype, event, API method, frequency (others emptied).
  const fields = [];
  const wanted = templateFields(button);
  Object.keys(wanted).forEach((name) => {
    const el = form && form.elements[name];
    if (el && el.tagName && !el.disabled) fields.push([el, wanted[name]]);
  });
  const overwrites = fields.some(([el, value]) => fieldValue(el) !== "" && fieldValue(el) !== String(value));
  if (view.state.doc.toString().trim() !== "" || overwrites) {
    const what = fields.length ? "the script and its fields" : "the current script";
    if (!window.confirm("Replace " + what + " with the template \u201c" + button.textContent.trim() + "\u201d?")) return;
  }
  // The script type first: the fields that depend on it are shown before they are filled.
  fields.sort((a, b) => (a[0].name === "script_type" ? -1 : b[0].name === "script_type" ? 1 : 0));
  fields.forEach(([el, value]) => setField(el, value));
  view.dispatch({
    changes: { from: 0, to: view.state.doc.length, insert: text },
    selection: { anchor: 0 },
    scrollIntoView: true,
  });
  view.focus();
}

/* ------------------------------------------------------------------ */
/* Keep the cursor across a save (the page reloads after it)           */
/* ------------------------------------------------------------------ */

const POSITION_KEY = "script-editor-position";
const POSITION_TTL_MS = 60000;

function rememberPosition(instance) {
  try {
    const view = instance.view;
    window.sessionStorage.setItem(POSITION_KEY, JSON.stringify({
      id: instance.textarea.id,
      doctype: instance.textarea.form ? instance.textarea.form.getAttribute("data-doctype") : "",
      anchor: view.state.selection.main.anchor,
      head: view.state.selection.main.head,
      scrollTop: view.scrollDOM.scrollTop,
      at: Date.now(),
    }));
  } catch (e) {
    /* storage may be off: the cursor just starts at the top */
  }
}

function restorePosition(instance) {
  let saved = null;
  try {
    saved = JSON.parse(window.sessionStorage.getItem(POSITION_KEY) || "null");
    window.sessionStorage.removeItem(POSITION_KEY);
  } catch (e) {
    return;
  }
  const form = instance.textarea.form;
  if (!saved || saved.id !== instance.textarea.id || Date.now() - saved.at > POSITION_TTL_MS) return;
  if (form && saved.doctype !== form.getAttribute("data-doctype")) return;
  const view = instance.view;
  const length = view.state.doc.length;
  view.dispatch({ selection: { anchor: Math.min(saved.anchor, length), head: Math.min(saved.head, length) } });
  view.scrollDOM.scrollTop = saved.scrollTop || 0;
  view.focus();
}

/* ------------------------------------------------------------------ */
/* Public API                                                          */
/* ------------------------------------------------------------------ */

function resolve(target) {
  if (!target) return null;
  if (typeof target === "string") target = document.getElementById(target.replace(/^#/, "")) || document.querySelector(target);
  if (!target) return null;
  if (target instanceof EditorView) return byView.get(target) || null;
  if (byTextarea.has(target)) return byTextarea.get(target);
  if (byWrapper.has(target)) return byWrapper.get(target);
  if (target.closest) {
    const wrapper = target.closest(".code-editor[data-editor-mounted]");
    if (wrapper && byWrapper.has(wrapper)) return byWrapper.get(wrapper);
  }
  return null;
}

function init(root) {
  const scope = root || document;
  const found = [];
  scope.querySelectorAll(SELECTOR).forEach((ta) => found.push(mount(ta)));
  return found.map((i) => i.view);
}

let listening = false;
function start() {
  init(document);
  if (!listening) {
    document.addEventListener("click", onTemplateClick);
    listening = true;
  }
}

window.ScriptEditor = {
  /** Show errors [{line, column, message}] as diagnostics and in the list below the editor. */
  setErrors(target, errors) {
    const instance = resolve(target);
    if (!instance) throw new Error("ScriptEditor.setErrors: no editor for this element");
    setErrors(instance, errors || []);
  },
  /** The EditorView mounted for a textarea (element, id or selector), or null. */
  getView(target) {
    const instance = resolve(target);
    return instance ? instance.view : null;
  },
  /** Current code of an editor. */
  getValue(target) {
    const instance = resolve(target);
    return instance ? instance.view.state.doc.toString() : null;
  },
  /** Replace the code of an editor. */
  setValue(target, text) {
    const instance = resolve(target);
    if (!instance) return;
    const view = instance.view;
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: String(text) } });
  },
  /** Run server validation now (returns a Promise). */
  validate(target) {
    const instance = resolve(target);
    return instance ? validate(instance) : Promise.resolve();
  },
  /** Mount editors inside root (e.g. after inserting HTML dynamically). */
  init,
};

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
