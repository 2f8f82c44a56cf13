/*
 * Server Scripts – desk document form helpers (plain JS, no build step).
 *
 * Child tables: Add Row / Delete / move up / down happen in place (without JS the same buttons
 * post the form and the server re-renders it). Rows are renumbered after each change so the
 * posted names stay `<table>-<index>-<field>` in display order.
 * Also: confirm() for forms with data-confirm, `depends_on` fields shown only when their
 * expression holds, and Link inputs whose datalist fills with matching names as you type.
 */
(function () {
  "use strict";

  function rowsOf(tbody) {
    return Array.prototype.filter.call(tbody.children, function (tr) {
      return tr.hasAttribute("data-row");
    });
  }

  function renumber(wrap) {
    var table = wrap.getAttribute("data-child-table");
    var tbody = wrap.querySelector("tbody");
    var rows = rowsOf(tbody);
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
    var empty = tbody.querySelector(".empty-row");
    if (!rows.length && !empty) {
      var cols = wrap.querySelectorAll("thead th").length;
      var tr = document.createElement("tr");
      tr.className = "empty-row";
      tr.innerHTML = '<td colspan="' + cols + '">No rows</td>';
      tbody.appendChild(tr);
    } else if (rows.length && empty) {
      empty.remove();
    }
  }

  function addRow(wrap) {
    var table = wrap.getAttribute("data-child-table");
    var template = wrap.querySelector('template[data-row-template="' + table + '"]');
    if (!template) return null;
    var tbody = wrap.querySelector("tbody");
    var row = template.content.firstElementChild.cloneNode(true);
    tbody.appendChild(row);
    renumber(wrap);
    var first = row.querySelector("input, select, textarea");
    if (first) first.focus();
    return row;
  }

  function initChildTable(wrap) {
    if (wrap.getAttribute("data-form-ready") === "1") return;
    wrap.setAttribute("data-form-ready", "1");
    // The spare empty row is the no-JS way to add a row; with JS, "Add Row" does it.
    wrap.querySelectorAll("tr[data-spare-row]").forEach(function (tr) {
      tr.remove();
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
      var tr = btn.closest("tr");
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

  function evaluate(expr, doc) {
    try {
      if (expr.indexOf("eval:") === 0) {
        // Expressions come from doctype declarations in the code base, never from users.
        return !!new Function("doc", "return (" + expr.slice(5) + ");")(doc);
      }
      var colon = expr.indexOf(":");
      if (colon > 0) {
        var value = doc[expr.slice(0, colon)];
        return expr.slice(colon + 1).split(",").indexOf(value == null ? "" : String(value)) >= 0;
      }
      return !!doc[expr];
    } catch (err) {
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

  function init() {
    document.querySelectorAll("[data-child-table]").forEach(initChildTable);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
    document.querySelectorAll("form.doc-form").forEach(function (form) {
      initDependsOn(form);
      initLinks(form);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
