/* report.html behaviour: the finding list (grouped by what one fix clears, or by page), filters and
 * search kept in the URL fragment, and the printed list of every finding.
 * Crawled text is only ever put in the page with textContent / attribute setters,
 * and only http(s) URLs become links (a crawled "javascript:" string stays text). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("audit-data").textContent);
  var PAGE = data.pageSize || 200, GPAGE = data.groupPageSize || 50;
  var SEV = { 3: ["error", "錯誤"], 2: ["warning", "警告"], 1: ["notice", "提示"] };
  var SEV_NUM = { error: 3, warning: 2, notice: 1 };
  var LABELS = [
    ["target", "目標"], ["link_text", "連結文字"], ["line", "原始碼行號"], ["status", "狀態"], ["element", "元素"],
    ["redirects", "轉址經過"], ["final_url", "最終網址"], ["field", "欄位"], ["fields", "欄位"], ["value", "目前的值"],
    ["reason", "原因"], ["pages", "出現頁數"], ["modified", "最後更新"], ["source", "日期來源"],
    ["age_days", "距今天數"], ["limit_months", "期限（月）"], ["text", "引文"], ["code", "檢測碼"],
    ["moda_codes", "檢測碼"], ["wcag", "WCAG 成功準則"], ["sc", "成功準則"], ["level", "等級"],
    ["contrast", "對比值"], ["impact", "影響程度"], ["nodes", "元素數"], ["html", "HTML 片段"],
    ["targets", "元素位置（CSS 選擇器）"], ["help_url", "規則說明"], ["missing", "缺少"], ["orphan", "目標不存在"]
  ];
  var HIDDEN = { sc_zh: 1, fg: 1, bg: 1, target_shown: 1, final_url_shown: 1, redirects_shown: 1,
    sc_names: 1, wcag_zh: 1, freego: 1, freego_codes: 1, freego_code: 1 };
  var TECH = { error: "原始錯誤訊息", help: "axe-core 原文說明", exception: "例外" };
  var LABEL = {}, ORDER = {};
  LABELS.forEach(function (kv, i) { LABEL[kv[0]] = kv[1]; ORDER[kv[0]] = i; });
  var STATUS = {
    dns: "找不到主機（DNS）", refused: "拒絕連線", timeout: "逾時", "redirect-loop": "重新導向迴圈",
    tls: "TLS／憑證錯誤", "too-many-redirects": "重新導向次數過多", error: "連線錯誤",
    blocked: "內部網路位址，依安全設定不連線", skipped: "未檢查"
  };
  var IMPACT = { critical: "極嚴重", serious: "嚴重", moderate: "中等", minor: "輕微" };
  var CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function webUrl(u) { return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null; }
  function linkOrText(url, text) {
    var href = webUrl(url);
    if (!href) return el("span", null, text || url);
    var a = el("a", null, text || url);
    a.href = href;
    return a;
  }
  function num(n) { return Number(n).toLocaleString("zh-TW"); }
  function shownUrl(pg) { return pg[5] || pg[0]; }

  // ---------------------------------------------------------------- filters (kept in the fragment)
  var form = document.getElementById("filters");
  var unitIndex = {}, sectionIndex = {};
  data.units.forEach(function (u, i) { unitIndex[u] = i; });
  data.sections.forEach(function (s, i) { sectionIndex[s[0]] = i; });
  var detailText = [];
  var FIELDS = ["view", "check", "severity", "unit", "section", "q", "group"];

  function filters() {
    var E = form.elements;
    var f = {
      view: E.view.value || "group",
      check: E.check.value,
      sev: SEV_NUM[E.severity.value] || 0,
      unit: E.unit.value === "" ? -1 : unitIndex[E.unit.value],
      section: E.section.value === "" ? -1 : sectionIndex[E.section.value],
      q: E.q.value.trim().toLowerCase(),
      group: E.group.value === "" ? -1 : Number(E.group.value),
      newOnly: !!(E["new"] && E["new"].checked)
    };
    if (f.unit === undefined) f.unit = -2;
    if (f.section === undefined) f.section = -2;
    return f;
  }
  function clearFields() {
    // Not form.reset(): its "reset" event would re-apply and clear the group filter after us.
    var E = form.elements;
    FIELDS.forEach(function (k) { E[k].value = k === "view" ? "group" : ""; });
    if (E["new"]) E["new"].checked = false;
  }
  function toFragment() {
    var E = form.elements, parts = [];
    FIELDS.forEach(function (k) {
      var v = E[k].value;
      if (v && !(k === "view" && v === "group")) parts.push(k + "=" + encodeURIComponent(v));
    });
    if (E["new"] && E["new"].checked) parts.push("new=1");
    return parts.length ? "#explorer?" + parts.join("&") : "";
  }
  function fromFragment(hash) {
    if (hash.indexOf("#explorer?") !== 0) return false;
    var E = form.elements;
    clearFields();
    hash.slice(10).split("&").forEach(function (kv) {
      var i = kv.indexOf("="), k = i < 0 ? kv : kv.slice(0, i), v = i < 0 ? "" : kv.slice(i + 1);
      try { v = decodeURIComponent(v.replace(/\+/g, " ")); } catch (e) { return; }
      if (k === "new" && E["new"]) E["new"].checked = v === "1";
      else if (FIELDS.indexOf(k) >= 0) E[k].value = v;
    });
    return true;
  }
  function pageMatches(p, flt) {
    var pg = data.pages[p];
    if (flt.unit !== -1 && pg[3] !== flt.unit) return false;
    if (flt.section !== -1 && pg[2] !== flt.section) return false;
    return true;
  }
  function pageText(pg) { return (pg[0] + " " + (pg[5] || "") + " " + pg[1]).toLowerCase(); }
  function findingMatches(f, flt) {
    if (!pageMatches(f[0], flt)) return false;
    var rule = data.rules[f[1]];
    if (flt.check && rule[1] !== flt.check) return false;
    if (flt.sev && f[2] !== flt.sev) return false;
    if (flt.newOnly && !f[5]) return false;
    if (flt.group >= 0 && f[6] !== flt.group) return false;
    if (flt.q) {
      if (detailText[f[4]] === undefined) detailText[f[4]] = JSON.stringify(data.details[f[4]]).toLowerCase();
      var hay = pageText(data.pages[f[0]]) + " " + rule[0] + " " + rule[2].toLowerCase() + " " +
        data.messages[f[3]].toLowerCase() + " " + detailText[f[4]];
      if (hay.indexOf(flt.q) < 0) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- evidence
  function swatch(color) {
    var s = el("span", "swatch");
    s.setAttribute("aria-hidden", "true");
    s.style.backgroundColor = String(color);  // CSSOM: an invalid value is simply ignored
    return s;
  }
  function valueNode(key, v, detail) {
    if (key === "targets" && Array.isArray(v)) {
      var list = el("ul");
      v.forEach(function (t) {
        var li = el("li");
        if (t === ":root" || t === "html") li.appendChild(el("span", null, data.rootNote));
        else li.appendChild(el("code", null, t));
        list.appendChild(li);
      });
      return list;
    }
    if (key === "redirects" && Array.isArray(v)) {
      var ol = el("ol"), shown = detail.redirects_shown || [];
      v.forEach(function (u, i) { var li = el("li"); li.appendChild(linkOrText(u, shown[i] || u)); ol.appendChild(li); });
      return ol;
    }
    if (Array.isArray(v)) {
      if (!v.length) return el("span", null, "—");
      return el("span", null, v.map(function (x) { return typeof x === "object" ? JSON.stringify(x) : x; }).join("、"));
    }
    if (v !== null && typeof v === "object") {
      var ul = el("ul");
      Object.keys(v).forEach(function (k) {
        var val = v[k];
        ul.appendChild(el("li", null, k + " " + (typeof val === "object" ? JSON.stringify(val) : val)));
      });
      return ul;
    }
    if (key === "target") return linkOrText(v, detail.target_shown || String(v));
    if (key === "final_url") return linkOrText(v, detail.final_url_shown || String(v));
    if (key === "help_url") return linkOrText(v, "開啟說明");
    if (key === "status") return el("span", null, STATUS[v] ? STATUS[v] : "HTTP " + v);
    if (key === "source") return el("span", null, data.sources[v] || v);
    if (key === "impact") return el("span", null, IMPACT[v] || v);
    if (key === "html") return el("code", "snippet", v);
    if (key === "line") return el("span", null, "第 " + v + " 行");
    if (key === "contrast") {
      var span = el("span", null, Number(v).toFixed(2).replace(/\.?0+$/, "") + ":1");
      if (detail.fg || detail.bg) {
        span.appendChild(document.createTextNode("（文字 "));
        if (detail.fg) { span.appendChild(swatch(detail.fg)); span.appendChild(document.createTextNode(String(detail.fg))); }
        span.appendChild(document.createTextNode("，背景 "));
        if (detail.bg) { span.appendChild(swatch(detail.bg)); span.appendChild(document.createTextNode(String(detail.bg))); }
        span.appendChild(document.createTextNode("）"));
      }
      return span;
    }
    if (key === "field" || key === "value" || key === "code") return el("code", null, v);
    return el("span", null, v);
  }
  function evidence(detail) {
    var names = detail.sc_zh && typeof detail.sc_zh === "object" ? detail.sc_zh : null;
    if (names && Array.isArray(detail.wcag)) {
      detail = Object.assign({}, detail, {
        wcag: detail.wcag.map(function (sc) { return names[sc] ? sc + " " + names[sc] : sc; })
      });
    }
    var keys = [], tech = [];
    Object.keys(detail).forEach(function (k) {
      var v = detail[k];
      if (v === null || v === "" || (Array.isArray(v) && !v.length) || HIDDEN[k]) return;
      if (TECH[k] && !(k === "help" && CJK.test(String(v)))) { tech.push(k); return; }
      keys.push(k);
    });
    if (!keys.length && !tech.length) return null;
    keys.sort(function (a, b) {
      var oa = a in ORDER ? ORDER[a] : 999, ob = b in ORDER ? ORDER[b] : 999;
      return oa - ob || (a < b ? -1 : a > b ? 1 : 0);
    });
    var box = el("div", "evbox"), dl = el("dl", "ev");
    keys.forEach(function (k) {
      dl.appendChild(el("dt", null, LABEL[k] || (k === "help" ? "說明" : k)));
      var dd = el("dd");
      dd.appendChild(valueNode(k, detail[k], detail));
      dl.appendChild(dd);
    });
    if (keys.length) box.appendChild(dl);
    if (tech.length) {
      // Raw English errors stay out of sight unless someone asks for them.
      var d = el("details", "tech");
      d.appendChild(el("summary", null, "技術細節"));
      tech.forEach(function (k) { d.appendChild(el("p", null, TECH[k] + "：" + detail[k])); });
      box.appendChild(d);
    }
    return box;
  }
  function brief(detail) {
    // One line of evidence for paper.
    var out = [];
    if (detail.link_text) out.push("連結文字「" + detail.link_text + "」");
    if (detail.line) out.push("第 " + detail.line + " 行");
    if (detail.contrast) out.push("對比 " + detail.contrast + ":1" + (detail.fg ? "（" + detail.fg + " / " + detail.bg + "）" : ""));
    if (detail.html) out.push(String(detail.html).slice(0, 160));
    else if (detail.targets && detail.targets.length) {
      out.push(detail.targets.slice(0, 3).map(function (t) { return t === ":root" ? "整個頁面" : t; }).join("、"));
    }
    if (detail.modified) out.push("最後更新 " + detail.modified);
    return out.join("；");
  }

  // ---------------------------------------------------------------- rendering: by page
  function pageBlock(p) {
    var pg = data.pages[p], sec = data.sections[pg[2]] || ["", ""];
    var art = el("article", "pg"), head = el("div", "pg-head"), h = el("h3");
    h.appendChild(linkOrText(pg[0], pg[1] || shownUrl(pg)));
    head.appendChild(h);
    var meta = shownUrl(pg) + "｜目錄：" + sec[1] + "（" + sec[0] + "）｜負責單位：" + (data.units[pg[3]] || "");
    if (pg[4]) meta += "｜HTTP 狀態：" + pg[4];
    head.appendChild(el("p", "pg-meta", meta));
    art.appendChild(head);
    var ul = el("ul", "flist");
    art.appendChild(ul);
    return { node: art, list: ul };
  }
  function fixNode(text) {
    var d = el("details", "fix");
    d.appendChild(el("summary", null, "如何修正"));
    d.appendChild(el("p", null, text));
    return d;
  }
  function findingItem(f) {
    var rule = data.rules[f[1]], sev = SEV[f[2]] || SEV[1];
    var li = el("li", "f"), head = el("div", "f-head");
    head.appendChild(el("span", "badge sev-" + sev[0], sev[1]));
    head.appendChild(el("span", "f-rule", rule[2]));
    if (f[5]) head.appendChild(el("span", "badge badge-new", "本次新增"));
    li.appendChild(head);
    li.appendChild(el("p", "f-msg", data.messages[f[3]]));
    var ev = evidence(data.details[f[4]] || {});
    if (ev) li.appendChild(ev);
    var fix = data.fixes[f[7]] || rule[3];
    if (fix) li.appendChild(fixNode(fix));
    return li;
  }
  function reviewItem(r) {
    var rr = data.reviewRules[r[1]];
    var li = el("li", "f"), head = el("div", "f-head");
    head.appendChild(el("span", "badge sev-notice", "需人工檢視"));
    head.appendChild(el("span", "f-rule", CJK.test(rr[1]) ? rr[1] : rr[0]));
    li.appendChild(head);
    var ev = evidence(Object.assign({}, data.details[r[2]] || {}, CJK.test(rr[1]) ? {} : { help: rr[1] }));
    if (ev) li.appendChild(ev);
    return li;
  }

  function PagedList(opts) {
    this.o = opts;
    this.items = [];
    this.page = 0;
    this.results = document.getElementById(opts.results);
    this.status = document.getElementById(opts.status);
    this.pager = document.getElementById(opts.pager);
  }
  PagedList.prototype.set = function (items, statusText) { this.items = items; this.page = 0; this.statusText = statusText; this.draw(); };
  PagedList.prototype.draw = function () {
    var o = this.o, size = o.size, start = this.page * size;
    var slice = this.items.slice(start, start + size);
    var frag = document.createDocumentFragment();
    o.drawSlice(slice, frag);
    this.results.textContent = "";
    this.results.appendChild(frag);
    var n = this.items.length;
    this.status.textContent = n
      ? this.statusText + (n > size ? "；顯示第 " + num(start + 1) + "–" + num(start + slice.length) + " " + o.unit : "") + "。"
      : o.empty;
    this.drawPager();
  };
  PagedList.prototype.drawPager = function () {
    var self = this, pages = Math.ceil(this.items.length / this.o.size);
    this.pager.textContent = "";
    this.pager.hidden = pages <= 1;
    if (pages <= 1) return;
    function btn(text, target, disabled) {
      var b = el("button", null, text);
      b.type = "button";
      b.disabled = disabled;
      b.addEventListener("click", function () {
        self.page = target;
        self.draw();
        self.results.scrollIntoView({ block: "start" });
      });
      return b;
    }
    this.pager.appendChild(btn("上一頁", this.page - 1, this.page === 0));
    this.pager.appendChild(el("span", null, "第 " + (this.page + 1) + " / " + pages + " 頁"));
    this.pager.appendChild(btn("下一頁", this.page + 1, this.page >= pages - 1));
  };
  function drawByPage(src, render) {
    return function (slice, frag) {
      var last = -1, block = null;
      slice.forEach(function (idx) {
        var item = src[idx];
        if (item[0] !== last) { block = pageBlock(item[0]); frag.appendChild(block.node); last = item[0]; }
        block.list.appendChild(render(item));
      });
    };
  }

  // ---------------------------------------------------------------- rendering: grouped
  function groupHead(g, pages, count, tag) {
    var rule = data.rules[g[0]], sev = SEV[g[1]] || SEV[1], label = data.labels[g[2]];
    var head = el(tag || "span", "g-head");
    head.appendChild(el("span", "badge sev-" + sev[0], sev[1]));
    head.appendChild(el("span", "f-rule", rule[2]));
    if (label && g[3] !== "page") head.appendChild(el("span", "g-label", label));
    else if (label && rule[0] === "metadata.missing") head.appendChild(el("span", "g-label", "缺少：" + label));
    head.appendChild(el("span", "g-count", num(pages) + " 頁" + (count !== pages ? "（" + num(count) + " 項）" : "")));
    return head;
  }
  function groupPages(items, withEvidence) {
    var ul = el("ul", "gpages");
    items.forEach(function (fi) {
      var f = data.findings[fi], pg = data.pages[f[0]], li = el("li", "f");
      var h = el("div", "f-head");
      // On paper the page is text: its address is printed beside it.
      h.appendChild(withEvidence ? linkOrText(pg[0], pg[1] || shownUrl(pg)) : el("strong", null, pg[1] || shownUrl(pg)));
      if (pg[1]) h.appendChild(el("span", "url", shownUrl(pg)));
      if (f[5]) h.appendChild(el("span", "badge badge-new", "本次新增"));
      li.appendChild(h);
      if (withEvidence) {
        li.appendChild(el("p", "f-msg", data.messages[f[3]]));
        var ev = evidence(data.details[f[4]] || {});
        if (ev) li.appendChild(ev);
      } else {
        var b = brief(data.details[f[4]] || {});
        li.appendChild(el("p", "f-msg", data.messages[f[3]] + (b ? "（" + b + "）" : "")));
      }
      ul.appendChild(li);
    });
    return ul;
  }
  function groupItem(entry) {
    var g = data.groups[entry.g];
    var li = el("li", "grp"), d = el("details");
    var s = el("summary");
    s.appendChild(groupHead(g, entry.pages, entry.items.length));
    d.appendChild(s);
    var drawn = false;
    d.addEventListener("toggle", function () {
      if (!d.open || drawn) return;
      drawn = true;  // pages are drawn when opened: 120 pages of one menu link cost nothing until then
      var fix = data.fixes[data.findings[entry.items[0]][7]] || data.rules[g[0]][3];
      if (fix) d.appendChild(el("p", "fix-text", "如何修正：" + fix));
      d.appendChild(groupPages(entry.items, true));
    });
    li.appendChild(d);
    return li;
  }
  function groupEntries(items) {
    var by = {}, order = [];
    items.forEach(function (fi) {
      var f = data.findings[fi], e = by[f[6]];
      if (!e) { e = by[f[6]] = { g: f[6], items: [], seen: {}, pages: 0 }; order.push(e); }
      e.items.push(fi);
      if (!e.seen[f[0]]) { e.seen[f[0]] = 1; e.pages++; }
    });
    order.sort(function (a, b) {
      return data.groups[b.g][1] - data.groups[a.g][1] || b.pages - a.pages || a.g - b.g;
    });
    return order;
  }

  // A page's missing metadata fields are one item listing them (findings.jsonl keeps one line per field).
  function missingItem(items) {
    var first = data.findings[items[0]], rule = data.rules[first[1]], sev = SEV[first[2]] || SEV[1];
    var li = el("li", "f"), head = el("div", "f-head");
    head.appendChild(el("span", "badge sev-" + sev[0], sev[1]));
    head.appendChild(el("span", "f-rule", rule[2]));
    li.appendChild(head);
    var fields = items.map(function (fi) { return data.details[data.findings[fi][4]].field; });
    li.appendChild(el("p", "f-msg", "缺少 " + fields.length + " 個欄位：" + fields.join("、")));
    var fix = data.fixes[first[7]] || rule[3];
    if (fix) li.appendChild(fixNode(fix));
    return li;
  }
  function drawFindingsByPage(slice, frag) {
    var last = -1, block = null, missing = null;
    slice.forEach(function (idx) {
      var item = data.findings[idx];
      if (item[0] !== last) { block = pageBlock(item[0]); frag.appendChild(block.node); last = item[0]; missing = null; }
      if (data.rules[item[1]][0] === "metadata.missing") {
        if (missing) {
          missing.items.push(idx);
          var fresh = missingItem(missing.items);
          block.list.replaceChild(fresh, missing.node);
          missing.node = fresh;
        } else {
          missing = { items: [idx], node: missingItem([idx]) };
          block.list.appendChild(missing.node);
        }
        return;
      }
      block.list.appendChild(findingItem(item));
    });
  }
  var byPage = new PagedList({
    results: "results", status: "f-status", pager: "pager", size: PAGE, unit: "項",
    drawSlice: drawFindingsByPage, empty: "沒有符合條件的問題。"
  });
  var byGroup = new PagedList({
    results: "results", status: "f-status", pager: "pager", size: GPAGE, unit: "列",
    drawSlice: function (slice, frag) {
      var ol = el("ol", "groups");
      slice.forEach(function (e) { ol.appendChild(groupItem(e)); });
      frag.appendChild(ol);
    },
    empty: "沒有符合條件的問題。"
  });
  var reviewList = new PagedList({
    results: "review-results", status: "r-status", pager: "r-pager", size: PAGE, unit: "項",
    drawSlice: drawByPage(data.review, reviewItem), empty: "沒有符合條件的需人工檢視項目。"
  });

  function apply(updateFragment) {
    var flt = filters(), out = [], pages = {}, i;
    for (i = 0; i < data.findings.length; i++) {
      if (findingMatches(data.findings[i], flt)) { out.push(i); pages[data.findings[i][0]] = 1; }
    }
    var np = Object.keys(pages).length;
    if (flt.view === "page") {
      byPage.set(out, "符合條件的問題 " + num(out.length) + " 項，分布於 " + num(np) + " 個網頁");
    } else {
      var entries = groupEntries(out);
      byGroup.set(entries, "符合條件的問題 " + num(out.length) + " 項，合併為 " + num(entries.length) +
        " 列，分布於 " + num(np) + " 個網頁；依嚴重度與受影響網頁數排列");
    }
    var rev = [];
    for (i = 0; i < data.review.length; i++) {
      var r = data.review[i];
      if (!pageMatches(r[0], flt)) continue;
      if (flt.q) {
        var rr = data.reviewRules[r[1]];
        var hay = pageText(data.pages[r[0]]) + " " + (rr[0] + " " + rr[1] + " " + JSON.stringify(data.details[r[2]])).toLowerCase();
        if (hay.indexOf(flt.q) < 0) continue;
      }
      rev.push(i);
    }
    reviewList.set(rev, "需人工檢視 " + num(rev.length) + " 項");
    if (updateFragment && window.history && history.replaceState) {
      var frag = toFragment();
      history.replaceState(null, "", frag || (location.pathname + location.search + "#explorer"));
    }
  }

  var timer = null;
  form.addEventListener("change", function () { form.elements.group.value = ""; apply(true); });
  form.addEventListener("input", function (e) {
    if (e.target.name !== "q") return;
    clearTimeout(timer);
    timer = setTimeout(function () { apply(true); }, 200);  // typing should not redraw per keystroke
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(true); });
  form.addEventListener("reset", function () { setTimeout(function () { form.elements.group.value = ""; apply(true); }, 0); });
  Array.prototype.forEach.call(document.querySelectorAll("a.filter-unit"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      clearFields();
      form.elements.unit.value = a.getAttribute("data-unit");
      apply(true);
      document.getElementById("explorer").scrollIntoView({ block: "start" });
    });
  });
  function followFragment() {
    if (fromFragment(location.hash)) {
      apply(false);
      document.getElementById("explorer").scrollIntoView({ block: "start" });
      return true;
    }
    return false;
  }
  window.addEventListener("hashchange", followFragment);
  if (!followFragment()) apply(false);

  // ---------------------------------------------------------------- paper: every finding, grouped
  var printBox = document.getElementById("print-findings");
  var printQueue = null, printList = null;
  function printStart() {
    var all = [];
    for (var i = 0; i < data.findings.length; i++) all.push(i);
    printQueue = groupEntries(all);
    printBox.textContent = "";
    printBox.appendChild(el("p", "print-note", "全部問題共 " + num(all.length) + " 項，合併為 " + num(printQueue.length) +
      " 列（依嚴重度與受影響網頁數排列）。"));
    printList = el("ol", "print-list");
    printBox.appendChild(printList);
  }
  function printStep(n) {
    if (printQueue === null) printStart();
    while (printQueue.length && n-- > 0) {
      var e = printQueue.shift(), g = data.groups[e.g], li = el("li", "pgrp");
      li.appendChild(groupHead(g, e.pages, e.items.length, "p"));
      var fix = data.fixes[data.findings[e.items[0]][7]] || data.rules[g[0]][3];
      if (fix) li.appendChild(el("p", "fix-text", "如何修正：" + fix));
      li.appendChild(groupPages(e.items, false));
      printList.appendChild(li);
    }
    if (!printQueue.length) printBox.setAttribute("data-ready", "1");
    return !printQueue.length;
  }
  function printAll() { if (printBox.getAttribute("data-ready") !== "1") printStep(Infinity); }
  var idle = window.requestIdleCallback || function (cb) { return setTimeout(function () { cb({ timeRemaining: function () { return 8; } }); }, 50); };
  function printIdle(deadline) {
    var done = false;
    while (!done && deadline.timeRemaining() > 2) done = printStep(25);
    if (!done) idle(printIdle);
  }
  window.addEventListener("load", function () { idle(printIdle); });
  window.siteauditPreparePrint = printAll;

  // Closed <details> print closed: open them for paper, close them again afterwards.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    printAll();
    Array.prototype.forEach.call(document.querySelectorAll("main details:not([open])"), function (d) {
      if (d.closest("#results")) return;
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    if (mq.addEventListener) mq.addEventListener("change", function (e) { if (e.matches) printAll(); });
  }
})();
