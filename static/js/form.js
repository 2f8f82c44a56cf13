/*
 * Server Scripts – desk document form helpers (plain JS, no build step).
 *
 * Child tables: Add Row / Delete / move up / down happen in place (without JS the same buttons
 * post the form and the server re-renders it). Rows are renumbered after each change so the
 * posted names stay `<table>-<index>-<field>` in display order. A row is its `[data-row]` element:
 * a <tr>, or (`data-row-groups`: the child has fields beyond the grid's, under "More") a <tbody>
 * holding the grid row and its details.
 * Tabs (a doctype's Tab Breaks): one shown at a time, the one with an error first.
 * Also: confirm() for forms with data-confirm, `depends_on` fields shown only when their
 * expression holds, Link inputs whose datalist fills with matching names as you type, and the
 * unsaved-changes guard: "Not Saved" while the form differs from what was loaded, Ctrl+S (Cmd+S)
 * saves, and leaving with unsaved changes asks first (a link, another form, closing the tab).
 */
(function () {
  "use strict";

  // Where the rows live: the table's <tbody>, or the <table> itself when each row is a <tbody>.
  function hostOf(wrap) {
    var table = wrap.querySelector("table");
    return wrap.hasAttribute("data-row-groups") ? table : table.querySelector("tbody");
  }

  function rowsOf(wrap) {
    return Array.prototype.filter.call(hostOf(wrap).children, function (el) {
      return el.hasAttribute("data-row");
    });
  }

  function renumber(wrap) {
    var table = wrap.getAttribute("data-child-table");
    var host = hostOf(wrap);
    var rows = rowsOf(wrap);
    var pattern = new RegExp("^" + table + "-(\\d+|__i__)-");
    rows.forEach(function (tr, i) {
      var index = tr.querySelector(".row-index");
      if (index) index.textContent = String(i + 1);
      tr.querySelectorAll("[name], [id]").forEach(function (el) {
        ["name", "id"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v && pattern.test(v)) el.setAttribute(attr, v.replace(pattern, table + "-" + i + "-"));
        });
      });
      tr.querySelectorAll("[data-row-action]").forEach(function (btn) {
        var v = btn.getAttribute("value") || "";
        btn.setAttribute("value", v.replace(/:\d+$|:__i__$/, ":" + i));
      });
    });
    var groups = wrap.hasAttribute("data-row-groups");
    var empty = host.querySelector(".empty-row");
    if (!rows.length && !empty) {
      var cols = wrap.querySelectorAll("thead th").length;
      var tr = document.createElement("tr");
      tr.className = "empty-row";
      tr.innerHTML = '<td colspan="' + cols + '">No rows</td>';
      if (groups) {
        var group = document.createElement("tbody");
        group.className = "empty-group";
        group.appendChild(tr);
        host.insertBefore(group, host.querySelector("tfoot"));
      } else {
        host.appendChild(tr);
      }
    } else if (rows.length && empty) {
      (groups ? empty.closest("tbody") : empty).remove();
    }
  }

  function addRow(wrap) {
    var table = wrap.getAttribute("data-child-table");
    var template = wrap.querySelector('template[data-row-template="' + table + '"]');
    if (!template) return null;
    var host = hostOf(wrap);
    var row = template.content.firstElementChild.cloneNode(true);
    host.insertBefore(row, wrap.hasAttribute("data-row-groups") ? host.querySelector("tfoot") : null);
    renumber(wrap);
    var first = row.querySelector("input, select, textarea");
    if (first) first.focus();
    return row;
  }

  function initChildTable(wrap) {
    if (wrap.getAttribute("data-form-ready") === "1") return;
    wrap.setAttribute("data-form-ready", "1");
    // The spare empty row is the no-JS way to add a row; with JS, "Add Row" does it.
    wrap.querySelectorAll("[data-spare-row]").forEach(function (row) {
      row.remove();
    });
    renumber(wrap);
    wrap.addEventListener("click", function (e) {
      var btn = e.target.closest("[data-row-action]");
      if (!btn || !wrap.contains(btn)) return;
      e.preventDefault();
      var action = btn.getAttribute("data-row-action");
      if (action === "add") {
        addRow(wrap);
        return;
      }
      var tr = btn.closest("[data-row]");
      if (action === "remove") {
        tr.remove();
      } else if (action === "up" && tr.previousElementSibling && tr.previousElementSibling.hasAttribute("data-row")) {
        tr.parentNode.insertBefore(tr, tr.previousElementSibling);
      } else if (action === "down" && tr.nextElementSibling && tr.nextElementSibling.hasAttribute("data-row")) {
        tr.parentNode.insertBefore(tr.nextElementSibling, tr);
      }
      renumber(wrap);
      btn.focus && document.body.contains(btn) && btn.focus();
    });
  }

  // -- depends_on: "eval:doc.script_type=='API'", "script_type:DocType Event,Permission Query"
  //    (the field has one of the values), or a bare field name (the field has a value) ------------
  function formValues(form) {
    var doc = {};
    form.querySelectorAll("[data-fieldname]").forEach(function (wrap) {
      var name = wrap.getAttribute("data-fieldname");
      var el = form.elements[name];
      if (!el || !el.tagName) return;
      doc[name] = el.type === "checkbox" ? (el.checked ? 1 : 0) : el.value;
    });
    return doc;
  }

  // `eval:` expressions are read by a small parser (no eval: the desk's Content-Security-Policy
  // forbids it): doc.<field>, 'text', "text", numbers, true/false, == != && || ! and parentheses.
  function tokenize(text) {
    var tokens = [];
    var re = /\s*(?:(==|!=|&&|\|\||!|\(|\))|'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(doc\.[A-Za-z_]\w*|true|false|null))/y;
    var pos = 0;
    text = text.trim();
    while (pos < text.length) {
      re.lastIndex = pos;
      var m = re.exec(text);
      if (!m) throw new Error("depends_on: cannot read " + JSON.stringify(text.slice(pos)));
      pos = re.lastIndex;
      if (m[1]) tokens.push({ op: m[1] });
      else if (m[2] != null || m[3] != null) tokens.push({ value: m[2] != null ? m[2] : m[3] });
      else if (m[4] != null) tokens.push({ value: Number(m[4]) });
      else tokens.push({ name: m[5] });
      while (pos < text.length && /\s/.test(text[pos])) pos++;
    }
    return tokens;
  }

  function evalExpression(text, doc) {
    var tokens = tokenize(text);
    var i = 0;
    function peek(op) { return tokens[i] && tokens[i].op === op; }
    function atom() {
      var t = tokens[i++];
      if (!t) throw new Error("depends_on: unexpected end");
      if (t.op === "!") return !atom();
      if (t.op === "(") {
        var v = or();
        if (!peek(")")) throw new Error("depends_on: missing )");
        i++;
        return v;
      }
      if ("value" in t) return t.value;
      if (t.name === "true") return true;
      if (t.name === "false") return false;
      if (t.name === "null") return null;
      if (t.name) return doc[t.name.slice(4)];
      throw new Error("depends_on: unexpected " + t.op);
    }
    function compare() {
      var left = atom();
      while (peek("==") || peek("!=")) {
        var op = tokens[i++].op;
        var right = atom();
        // Form values are text: compare as text, as Frappe's loose == would for these.
        var same = String(left == null ? "" : left) === String(right == null ? "" : right);
        left = op === "==" ? same : !same;
      }
      return left;
    }
    function and() {
      var v = compare();
      while (peek("&&")) { i++; var r = compare(); v = v && r; }
      return v;
    }
    function or() {
      var v = and();
      while (peek("||")) { i++; var r = and(); v = v || r; }
      return v;
    }
    var result = or();
    if (i !== tokens.length) throw new Error("depends_on: unexpected " + JSON.stringify(tokens[i]));
    return result;
  }

  function evaluate(expr, doc) {
    try {
      if (expr.indexOf("eval:") === 0) return !!evalExpression(expr.slice(5), doc);
      var colon = expr.indexOf(":");
      if (colon > 0) {
        var value = doc[expr.slice(0, colon)];
        return expr.slice(colon + 1).split(",").indexOf(value == null ? "" : String(value)) >= 0;
      }
      return !!doc[expr];
    } catch (err) {
      if (window.console) console.warn(err);
      return true;
    }
  }

  function initDependsOn(form) {
    var fields = form.querySelectorAll("[data-depends-on]");
    if (!fields.length) return;
    function refresh() {
      var doc = formValues(form);
      fields.forEach(function (wrap) {
        wrap.hidden = !evaluate(wrap.getAttribute("data-depends-on"), doc);
      });
    }
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    refresh();
  }

  // -- Link fields: fill the datalist with names that match what is typed -----------------------
  function initLinks(root) {
    var timers = new WeakMap();
    root.addEventListener("input", function (e) {
      var input = e.target;
      if (!input.matches || !input.matches("input[data-link-doctype][list]")) return;
      clearTimeout(timers.get(input));
      timers.set(input, setTimeout(function () {
        var doctype = input.getAttribute("data-link-doctype");
        var list = document.getElementById(input.getAttribute("list"));
        if (!list) return;
        var url = "/api/resource/" + encodeURIComponent(doctype) +
          "?fields=" + encodeURIComponent('["name"]') +
          "&filters=" + encodeURIComponent(JSON.stringify([["name", "like", "%" + input.value + "%"]])) +
          "&limit_page_length=20";
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) {
            if (!body || !body.data) return;
            list.innerHTML = "";
            body.data.forEach(function (row) {
              var opt = document.createElement("option");
              opt.value = row.name;
              list.appendChild(opt);
            });
          })
          .catch(function () {});
      }, 200));
    });
  }

  // -- unsaved changes: "Not Saved", Ctrl+S, and asking before leaving ---------------------------
  var guarded = null; // the form whose changes are guarded (the page's form[data-ctrl-s])
  var saved = ""; // its contents when loaded
  var leaving = false; // set once the user chose to go (a save, a confirmed link)

  function snapshot(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf_token" || el.type === "submit" || el.type === "button") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      parts.push(el.name + "=" + el.value);
    });
    return parts.join("\n");
  }

  function isDirty() {
    if (!guarded || leaving) return false;
    return guarded.hasAttribute("data-unsaved") || snapshot(guarded) !== saved;
  }

  function showState() {
    var badge = document.getElementById("not-saved");
    // A new document is "Not Saved" until it is; a saved one while it differs from what was loaded.
    if (badge) badge.hidden = !(isDirty() || (guarded && guarded.hasAttribute("data-new") && !leaving));
  }

  var LEAVE = "You have unsaved changes on this page. Leave without saving them?";

  function initGuard(form) {
    guarded = form;
    saved = snapshot(form);
    form.addEventListener("input", showState);
    form.addEventListener("change", showState);
    // Child-table buttons change the rows without an input event: look again after every click.
    form.addEventListener("click", function () { setTimeout(showState, 0); });
    form.addEventListener("submit", function () {
      leaving = true; // saving is not leaving
      rememberScroll();
    });
    window.addEventListener("beforeunload", function (e) {
      if (!isDirty()) return;
      e.preventDefault();
      e.returnValue = ""; // the browser shows its own "Leave site?" question
    });
    // A link inside the desk asks in words, and then the browser need not ask again.
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a[href]");
      if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      if (a.target === "_blank" || a.hasAttribute("download") || a.getAttribute("href").charAt(0) === "#") return;
      if (!isDirty()) return;
      if (window.confirm(LEAVE)) leaving = true;
      else e.preventDefault();
    });
    showState();
  }

  function ctrlS(e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || (e.key || "").toLowerCase() !== "s") return;
    var form = document.querySelector("form[data-ctrl-s]");
    if (!form) return;
    e.preventDefault(); // not the browser's "Save page as"
    e.stopPropagation();
    var button = form.querySelector("button[type=submit]:not([name]), button:not([type]):not([name])") ||
      document.querySelector('button[type=submit][form="' + form.id + '"]');
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else form.submit();
  }

  // After a save the page reloads: come back to the same place on it.
  var SCROLL_KEY = "desk-form-scroll";

  function rememberScroll() {
    try {
      window.sessionStorage.setItem(SCROLL_KEY, JSON.stringify({ y: window.scrollY, at: Date.now() }));
    } catch (err) { /* storage off: the page starts at the top */ }
  }

  function restoreScroll() {
    try {
      var s = JSON.parse(window.sessionStorage.getItem(SCROLL_KEY) || "null");
      window.sessionStorage.removeItem(SCROLL_KEY);
      if (s && Date.now() - s.at < 60000 && !document.querySelector(".flash-error")) window.scrollTo(0, s.y);
    } catch (err) { /* nothing to restore */ }
  }

  // -- tabs: one panel at a time (all of them, under their titles, without JS) -------------------
  function initTabs(form) {
    var bar = form.querySelector("[data-form-tabs]");
    if (!bar) return;
    var buttons = Array.prototype.slice.call(bar.querySelectorAll("[role=tab]"));
    function show(index) {
      buttons.forEach(function (b, i) {
        var panel = document.getElementById(b.getAttribute("aria-controls"));
        b.setAttribute("aria-selected", i === index ? "true" : "false");
        b.tabIndex = i === index ? 0 : -1;
        if (panel) panel.classList.toggle("tab-hidden", i !== index);
      });
    }
    buttons.forEach(function (b, i) {
      b.addEventListener("click", function () { show(i); });
    });
    bar.hidden = false;
    var error = form.querySelector(".has-error");
    var first = 0;
    if (error) {
      var panel = error.closest("[role=tabpanel]");
      buttons.forEach(function (b, i) {
        if (panel && b.getAttribute("aria-controls") === panel.id) first = i;
      });
    }
    show(first);
  }

  function init() {
    document.querySelectorAll("[data-child-table]").forEach(initChildTable);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        var question = form.getAttribute("data-confirm");
        if (isDirty()) question += "\n\nYour unsaved changes on this page will be lost.";
        if (!window.confirm(question)) e.preventDefault();
        else leaving = true;
      });
    });
    document.querySelectorAll("form.doc-form").forEach(function (form) {
      initDependsOn(form);
      initLinks(form);
      initTabs(form);
    });
    var form = document.querySelector("form[data-ctrl-s]");
    if (form) initGuard(form);
    // Any other form that leaves the page (Submit, Log out) asks first when there are changes.
    document.addEventListener("submit", function (e) {
      var f = e.target;
      if (f === guarded || f.hasAttribute("data-confirm") || e.defaultPrevented || !isDirty()) return;
      if (window.confirm(LEAVE)) leaving = true;
      else e.preventDefault();
    });
    window.addEventListener("keydown", ctrlS, true);
    restoreScroll();
  }

  window.DeskForm = { isDirty: isDirty };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
