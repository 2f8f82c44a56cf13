/*
 * Server Scripts – awesomebar (search / command bar in the navbar).
 *
 * Plain JavaScript, no build step. Expects this markup (see docs/frontend.md):
 *
 *   <form class="awesomebar" role="search" action="/app">   (submitting it is prevented here)
 *     <input id="awesomebar" type="search" aria-label="Search" autocomplete="off"
 *            placeholder="Search or type a command (Ctrl+G)" data-url="/api/desk/awesomebar">
 *     <ul id="awesomebar-results" role="listbox" hidden></ul>
 *   </form>
 *
 * GET data-url?q=<text>  ->  {"results": [{"label", "description", "route"}, ...]}
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;

  function init() {
    var input = document.getElementById("awesomebar");
    var list = document.getElementById("awesomebar-results");
    if (!input || !list || input.getAttribute("data-awesomebar-ready") === "1") return;
    input.setAttribute("data-awesomebar-ready", "1");

    var url = input.getAttribute("data-url") || "/api/desk/awesomebar";

    // ARIA combobox pattern.
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-haspopup", "listbox");
    if (!list.getAttribute("aria-label")) list.setAttribute("aria-label", "Search results");

    var state = {
      results: [], // results currently rendered
      resultsQuery: null, // query the rendered results belong to
      active: -1, // highlighted index
      timer: null, // debounce timer
      controller: null, // AbortController of the in-flight request
      pending: null, // {query, promise} of the in-flight request
      seq: 0,
    };

    function currentQuery() {
      return input.value.trim();
    }

    function isOpen() {
      return !list.hidden;
    }

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function setActive(index) {
      var items = list.querySelectorAll('li[role="option"]');
      if (!items.length) {
        state.active = -1;
        input.removeAttribute("aria-activedescendant");
        return;
      }
      if (index < 0) index = items.length - 1;
      if (index >= items.length) index = 0;
      state.active = index;
      for (var i = 0; i < items.length; i++) {
        var selected = i === index;
        items[i].setAttribute("aria-selected", selected ? "true" : "false");
        items[i].classList.toggle("active", selected);
      }
      input.setAttribute("aria-activedescendant", items[index].id);
      if (items[index].scrollIntoView) items[index].scrollIntoView({ block: "nearest" });
    }

    function render(query, results) {
      state.results = results;
      state.resultsQuery = query;
      state.active = -1;
      list.textContent = "";
      if (!results.length) {
        var empty = document.createElement("li");
        empty.className = "awesomebar-empty";
        empty.setAttribute("role", "presentation");
        empty.textContent = "No results for \u201c" + query + "\u201d";
        list.appendChild(empty);
        input.removeAttribute("aria-activedescendant");
        open();
        return;
      }
      results.forEach(function (result, i) {
        var li = document.createElement("li");
        li.id = "awesomebar-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-index", String(i));
        if (result.route) li.setAttribute("data-route", result.route);
        var label = document.createElement("strong");
        label.className = "awesomebar-label";
        label.textContent = result.label || result.route || "";
        li.appendChild(label);
        if (result.description) {
          var desc = document.createElement("span");
          desc.className = "awesomebar-description";
          desc.textContent = result.description;
          li.appendChild(desc);
        }
        list.appendChild(li);
      });
      open();
      setActive(0);
    }

    function search(query) {
      if (state.controller) state.controller.abort();
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      state.controller = controller;
      var seq = ++state.seq;
      var target = new URL(url, window.location.href);
      target.searchParams.set("q", query);

      var promise = fetch(target.toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller ? controller.signal : undefined,
      })
        .then(function (resp) {
          if (!resp.ok) throw new Error("HTTP " + resp.status);
          return resp.json();
        })
        .then(function (data) {
          var results = (data && Array.isArray(data.results) ? data.results : []).filter(function (r) {
            return r && (r.label || r.route);
          });
          if (seq === state.seq && query === currentQuery()) render(query, results);
          return results;
        })
        .catch(function (err) {
          if (err && err.name === "AbortError") return null;
          if (seq === state.seq) close();
          if (window.console) console.warn("awesomebar: search failed", err);
          return [];
        })
        .then(function (results) {
          if (state.pending && state.pending.seq === seq) {
            state.pending = null;
            state.controller = null;
          }
          return results;
        });
      state.pending = { query: query, promise: promise, seq: seq };
      return promise;
    }

    function cancelPending() {
      clearTimeout(state.timer);
      state.timer = null;
      if (state.controller) state.controller.abort();
      state.controller = null;
      state.pending = null;
      state.seq++;
    }

    function onInput() {
      var query = currentQuery();
      clearTimeout(state.timer);
      if (!query) {
        cancelPending();
        state.results = [];
        state.resultsQuery = null;
        list.textContent = "";
        close();
        return;
      }
      state.timer = setTimeout(function () {
        state.timer = null;
        search(query);
      }, DEBOUNCE_MS);
    }

    function navigate(result) {
      if (!result || !result.route) return;
      close();
      window.location.assign(result.route);
    }

    /* Enter: open the highlighted result; if the reply for the current text
       has not arrived yet, wait for it and open the first result. */
    function onEnter() {
      var query = currentQuery();
      if (!query) return;
      if (state.resultsQuery === query && !state.timer) {
        navigate(state.results[state.active >= 0 ? state.active : 0]);
        return;
      }
      var promise;
      if (state.pending && state.pending.query === query && !state.timer) {
        promise = state.pending.promise;
      } else {
        clearTimeout(state.timer);
        state.timer = null;
        promise = search(query);
      }
      promise.then(function (results) {
        if (results && results.length && currentQuery() === query) navigate(results[0]);
      });
    }

    input.addEventListener("input", onInput);

    input.addEventListener("keydown", function (e) {
      if (e.isComposing) return;
      switch (e.key) {
        case "ArrowDown":
          if (!isOpen()) {
            if (state.results.length && state.resultsQuery === currentQuery()) {
              open();
              setActive(0);
            }
          } else {
            setActive(state.active + 1);
          }
          e.preventDefault();
          break;
        case "ArrowUp":
          if (isOpen()) setActive(state.active - 1);
          e.preventDefault();
          break;
        case "Enter":
          e.preventDefault();
          onEnter();
          break;
        case "Escape":
          if (isOpen()) {
            e.preventDefault();
            close();
          } else if (input.value) {
            // Second Escape (native type=search behaviour) clears the text.
            cancelPending();
          }
          break;
        default:
          break;
      }
    });

    input.addEventListener("focus", function () {
      if (state.results.length && state.resultsQuery === currentQuery() && currentQuery()) {
        open();
        setActive(state.active >= 0 ? state.active : 0);
      }
    });

    input.addEventListener("blur", function () {
      close();
    });

    // Keep focus in the input while clicking a result.
    list.addEventListener("mousedown", function (e) {
      e.preventDefault();
    });

    list.addEventListener("click", function (e) {
      var li = e.target.closest && e.target.closest('li[role="option"]');
      if (!li) return;
      var index = parseInt(li.getAttribute("data-index"), 10);
      navigate(state.results[index]);
    });

    list.addEventListener("mousemove", function (e) {
      var li = e.target.closest && e.target.closest('li[role="option"]');
      if (!li) return;
      var index = parseInt(li.getAttribute("data-index"), 10);
      if (index !== state.active) setActive(index);
    });

    if (input.form) {
      input.form.addEventListener("submit", function (e) {
        e.preventDefault();
      });
    }

    // Global shortcuts: Ctrl+G, Ctrl+K, Cmd+K.
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.shiftKey) return;
      var key = (e.key || "").toLowerCase();
      var hit = (e.ctrlKey && !e.metaKey && (key === "g" || key === "k")) || (e.metaKey && !e.ctrlKey && key === "k");
      if (!hit) return;
      e.preventDefault();
      input.focus();
      input.select();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
