"use strict";
(function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var titles = data.titles || {}, strings = data.strings;
  function g(i) { return i < 0 ? null : strings[i]; }
  // rows arrive compact (interned strings, arrays; rulekit/io/html.py `decode_rows` reads them the same way)
  var rows = data.rows.map(function (r) {
    var texts = {};
    r[8].forEach(function (t) { texts[g(t[0])] = t[1]; });
    var violations = r[6].map(function (v) {
      return {
        rule: g(v[0]), severity: g(v[1]), message: v[2],
        actions: v[3].map(function (a) { return { name: g(a[0]), args: a[1] }; }),
        evidence: v[4].map(function (e) {
          var f = g(e[0]);
          var text = texts[f] !== undefined ? Array.from(texts[f]).slice(e[1], e[2]).join("") : e[6];
          return { field: f, start: e[1], end: e[2], word: g(e[3]), category: g(e[4]), replacement: g(e[5]), text: text };
        })
      };
    });
    var errors = r[7].map(function (e) { return { rule: g(e[0]), message: e[1] }; });
    return {
      id: r[0], kind: g(r[1]), shop: g(r[2]), decision: g(r[3]), where: g(r[4]) + ":" + r[5],
      violations: violations, errors: errors, texts: texts,
      rules: violations.map(function (v) { return v.rule; }).concat(
        errors.filter(function (e) { return e.rule; }).map(function (e) { return e.rule; })),
      message: violations.length ? violations[0].message : (errors.length ? errors[0].message : "")
    };
  });
  var PAGE = 50;
  var state = { query: "", key: null, dir: 1, page: 0, view: rows, open: -1 };
  var body = document.querySelector("#records tbody");
  var detail = document.getElementById("detail");
  var search = document.getElementById("search");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function haystack(r) {
    return [r.id, r.kind, r.shop, r.decision, r.rules.join(" "), r.message].join("\u0001").toLowerCase();
  }
  rows.forEach(function (r, i) { r._i = i; r._h = haystack(r); });

  function apply() {
    var q = state.query.trim().toLowerCase();
    var parts = q ? q.split(/\s+/) : [];
    var view = rows.filter(function (r) {
      return parts.every(function (p) { return r._h.indexOf(p) >= 0; });
    });
    if (state.key) {
      var k = state.key, d = state.dir;
      view = view.slice().sort(function (a, b) {
        var x = k === "rules" ? a.rules.join(",") : (a[k] || ""), y = k === "rules" ? b.rules.join(",") : (b[k] || "");
        return x < y ? -d : x > y ? d : a._i - b._i;
      });
    }
    state.view = view;
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    render();
  }

  function render() {
    var view = state.view, start = state.page * PAGE;
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    body.textContent = "";
    view.slice(start, start + PAGE).forEach(function (r) {
      var tr = el("tr");
      tr.dataset.index = r._i;
      if (r._i === state.open) tr.className = "open";
      tr.appendChild(el("td", null, r.id === null ? "(no id)" : r.id));
      tr.appendChild(el("td", null, r.kind || ""));
      tr.appendChild(el("td", null, r.shop || ""));
      var td = el("td"); td.appendChild(el("span", "badge " + r.decision, r.decision)); tr.appendChild(td);
      tr.appendChild(el("td", null, r.rules.join(", ")));
      tr.appendChild(el("td", null, r.message));
      tr.addEventListener("click", function () { show(r); });
      body.appendChild(tr);
    });
    document.getElementById("found").textContent = view.length.toLocaleString();
    document.getElementById("page-info").textContent =
      "page " + (state.page + 1) + " of " + pages + " · " + view.length.toLocaleString() + " records";
    document.getElementById("prev").disabled = state.page === 0;
    document.getElementById("next").disabled = state.page >= pages - 1;
  }

  function highlighted(text, spans) {
    // offsets are Unicode code points (LANGUAGE §5): index the text by code point, not by UTF-16 unit
    var cps = Array.from(text), box = el("div", "text"), pos = 0;
    spans = spans.slice().sort(function (a, b) { return a.start - b.start || b.end - a.end; });
    spans.forEach(function (s) {
      if (s.start < pos) return;  // overlapping hits: the first (longest) one is marked
      if (s.start > pos) box.appendChild(document.createTextNode(cps.slice(pos, s.start).join("")));
      var m = el("mark", null, cps.slice(s.start, s.end).join(""));
      m.dataset.start = s.start; m.dataset.end = s.end; m.title = s.word + (s.category ? " · " + s.category : "");
      box.appendChild(m);
      pos = s.end;
    });
    if (pos < cps.length) box.appendChild(document.createTextNode(cps.slice(pos).join("")));
    return box;
  }

  function show(r) {
    state.open = r._i;
    detail.hidden = false;
    detail.textContent = "";
    var h = el("h3"); h.appendChild(el("span", null, (r.kind || "?") + " " + (r.id === null ? "(no id)" : r.id) + "  "));
    h.appendChild(el("span", "badge " + r.decision, r.decision)); h.appendChild(el("span", "hint", "  " + r.where));
    detail.appendChild(h);
    r.violations.forEach(function (v) {
      var box = el("div", "violation");
      var head = el("div"); head.appendChild(el("span", "badge " + v.severity, v.severity));
      head.appendChild(el("strong", null, " " + v.rule + (titles[v.rule] ? " (" + titles[v.rule] + ")" : "")));
      box.appendChild(head);
      box.appendChild(el("div", null, v.message));
      v.actions.forEach(function (a) { box.appendChild(el("div", "hint", "→ " + a.name + " " + a.args)); });
      var byField = {};
      v.evidence.forEach(function (e) { if (e.field) (byField[e.field] = byField[e.field] || []).push(e); });
      Object.keys(byField).forEach(function (f) {
        if (r.texts[f] === undefined) return;
        box.appendChild(el("div", "hint", f));
        box.appendChild(highlighted(r.texts[f], byField[f]));
      });
      v.evidence.forEach(function (e) {
        box.appendChild(el("div", "hint", (e.field || "") + "[" + e.start + ":" + e.end + "] " + JSON.stringify(e.text) +
          (e.replacement !== null ? " → " + JSON.stringify(e.replacement) : "") + (e.category ? "  (" + e.category + ")" : "")));
      });
      detail.appendChild(box);
    });
    r.errors.forEach(function (e) {
      var box = el("div", "violation");
      box.appendChild(el("span", "badge " + (e.rule ? "undetermined" : "invalid"), e.rule ? "undetermined" : "invalid input"));
      box.appendChild(el("strong", null, " " + (e.rule || "")));
      box.appendChild(el("div", null, e.message));
      detail.appendChild(box);
    });
    render();
    detail.scrollIntoView({ block: "nearest" });
  }

  search.addEventListener("input", function () { state.query = search.value; state.page = 0; apply(); });
  document.getElementById("clear").addEventListener("click", function () {
    search.value = ""; state.query = ""; state.page = 0; if (location.hash) history.replaceState(null, "", " "); apply();
  });
  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });
  document.querySelectorAll("#records th").forEach(function (th) {
    th.addEventListener("click", function () {
      var k = th.dataset.key;
      state.dir = state.key === k ? -state.dir : 1; state.key = k;
      document.querySelectorAll("#records th").forEach(function (o) { o.classList.remove("asc", "desc"); });
      th.classList.add(state.dir > 0 ? "asc" : "desc");
      apply();
    });
  });
  function fromHash() {
    var m = /^#rule=(.+)$/.exec(location.hash);
    if (m) {
      search.value = decodeURIComponent(m[1]); state.query = search.value; state.page = 0; apply();
      document.getElementById("records-section").scrollIntoView();
    }
  }
  window.addEventListener("hashchange", fromHash);
  apply();
  fromHash();
})();
