/* report.html behaviour: filters, search and paged lists drawn from the embedded JSON.
 * Crawled text is only ever put in the page with textContent / attribute setters,
 * and only http(s) URLs become links (a crawled "javascript:" string stays text). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("audit-data").textContent);
  var PAGE = data.pageSize || 200;
  var SEV = { 3: ["error", "錯誤"], 2: ["warning", "警告"], 1: ["notice", "提示"] };
  var SEV_NUM = { error: 3, warning: 2, notice: 1 };
  var LABELS = [
    ["target", "目標"], ["status", "狀態"], ["element", "元素"], ["redirects", "轉址經過"],
    ["final_url", "最終網址"], ["field", "欄位"], ["value", "目前的值"], ["reason", "原因"],
    ["pages", "出現頁數"], ["modified", "最後更新"], ["source", "日期來源"], ["age_days", "距今天數"],
    ["limit_months", "期限（月）"], ["text", "引文"], ["wcag", "WCAG 成功準則"], ["sc", "成功準則"],
    ["sc_zh", "成功準則名稱"], ["sc_names", "成功準則名稱"], ["wcag_zh", "成功準則名稱"],
    ["level", "等級"], ["freego", "Freego 檢測碼"], ["freego_codes", "Freego 檢測碼"],
    ["freego_code", "Freego 檢測碼"], ["impact", "影響程度"], ["nodes", "元素數"],
    ["targets", "元素位置（CSS 選擇器）"], ["help", "說明"], ["help_url", "axe 規則說明"]
  ];
  var LABEL = {}, ORDER = {};
  LABELS.forEach(function (kv, i) { LABEL[kv[0]] = kv[1]; ORDER[kv[0]] = i; });
  var STATUS = {
    dns: "DNS 查無此主機", refused: "拒絕連線", timeout: "逾時", "redirect-loop": "重新導向迴圈",
    tls: "TLS／憑證錯誤", "too-many-redirects": "重新導向次數過多", error: "連線錯誤"
  };
  var IMPACT = { critical: "極嚴重", serious: "嚴重", moderate: "中等", minor: "輕微" };

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

  // ---------------------------------------------------------------- filters
  var form = document.getElementById("filters");
  var unitIndex = {}, sectionIndex = {};
  data.units.forEach(function (u, i) { unitIndex[u] = i; });
  data.sections.forEach(function (s, i) { sectionIndex[s[0]] = i; });
  var detailText = [];  // lower-cased search text per interned detail, built on first search

  function filters() {
    var f = {
      check: form.elements.check.value,
      sev: SEV_NUM[form.elements.severity.value] || 0,
      unit: form.elements.unit.value === "" ? -1 : unitIndex[form.elements.unit.value],
      section: form.elements.section.value === "" ? -1 : sectionIndex[form.elements.section.value],
      q: form.elements.q.value.trim().toLowerCase(),
      newOnly: !!(form.elements["new"] && form.elements["new"].checked)
    };
    if (f.unit === undefined) f.unit = -2;
    if (f.section === undefined) f.section = -2;
    return f;
  }
  function pageMatches(p, flt) {
    var pg = data.pages[p];
    if (flt.unit !== -1 && pg[3] !== flt.unit) return false;
    if (flt.section !== -1 && pg[2] !== flt.section) return false;
    return true;
  }
  function pageText(pg) { return (pg[0] + " " + pg[1]).toLowerCase(); }
  function findingMatches(f, flt) {
    if (!pageMatches(f[0], flt)) return false;
    var rule = data.rules[f[1]];
    if (flt.check && rule[1] !== flt.check) return false;
    if (flt.sev && f[2] !== flt.sev) return false;
    if (flt.newOnly && !f[5]) return false;
    if (flt.q) {
      if (detailText[f[4]] === undefined) detailText[f[4]] = JSON.stringify(data.details[f[4]]).toLowerCase();
      var hay = pageText(data.pages[f[0]]) + " " + rule[0] + " " + rule[2].toLowerCase() + " " +
        data.messages[f[3]].toLowerCase() + " " + detailText[f[4]];
      if (hay.indexOf(flt.q) < 0) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- rendering
  function pageBlock(p) {
    var pg = data.pages[p], sec = data.sections[pg[2]] || ["", ""];
    var art = el("article", "pg"), head = el("div", "pg-head"), h = el("h3");
    h.appendChild(linkOrText(pg[0], pg[1] || pg[0]));
    head.appendChild(h);
    var meta = pg[0] + "｜目錄：" + sec[1] + "（" + sec[0] + "）｜負責單位：" + (data.units[pg[3]] || "");
    if (pg[4]) meta += "｜HTTP 狀態：" + pg[4];
    head.appendChild(el("p", "pg-meta", meta));
    art.appendChild(head);
    var ul = el("ul", "flist");
    art.appendChild(ul);
    return { node: art, list: ul };
  }
  function valueNode(key, v) {
    if (Array.isArray(v)) {
      if (!v.length) return el("span", null, "—");
      if (key !== "targets" && key !== "redirects" && v.every(function (x) { return typeof x !== "object"; })) {
        return el("span", null, v.join("、"));  // short code lists: 1.1.1、1.3.1 / Freego codes
      }
      var list = el(key === "redirects" ? "ol" : "ul");
      v.forEach(function (item) {
        var li = el("li");
        if (key === "targets") li.appendChild(el("code", null, item));
        else li.appendChild(valueNode(key, item));
        list.appendChild(li);
      });
      return list;
    }
    if (v !== null && typeof v === "object") {
      // e.g. sc_zh {"1.1.1": "非文字內容"}: one "key name" line each
      var ul = el("ul");
      Object.keys(v).forEach(function (k) {
        var val = v[k];
        ul.appendChild(el("li", null, k + " " + (typeof val === "object" ? JSON.stringify(val) : val)));
      });
      return ul;
    }
    if (key === "target" || key === "final_url" || key === "help_url" || key === "redirects") return linkOrText(v, String(v));
    if (key === "status") return el("span", null, STATUS[v] ? STATUS[v] + "（" + v + "）" : "HTTP " + v);
    if (key === "source") return el("span", null, data.sources[v] || v);
    if (key === "impact") return el("span", null, IMPACT[v] ? IMPACT[v] + "（" + v + "）" : v);
    if (key === "field" || key === "value") return el("code", null, v);
    return el("span", null, v);
  }
  function evidence(detail) {
    var names = detail.sc_zh && typeof detail.sc_zh === "object" ? detail.sc_zh : null;
    if (names && Array.isArray(detail.wcag)) {
      // One line "1.4.3 對比（最小值）" instead of the number and the name apart.
      detail = Object.assign({}, detail, {
        wcag: detail.wcag.map(function (sc) { return names[sc] ? sc + " " + names[sc] : sc; })
      });
      delete detail.sc_zh;
    }
    var keys = Object.keys(detail).filter(function (k) {
      var v = detail[k];
      return v !== null && v !== "" && !(Array.isArray(v) && !v.length);
    });
    if (!keys.length) return null;
    keys.sort(function (a, b) {
      var oa = a in ORDER ? ORDER[a] : 999, ob = b in ORDER ? ORDER[b] : 999;
      return oa - ob || (a < b ? -1 : a > b ? 1 : 0);
    });
    var dl = el("dl", "ev");
    keys.forEach(function (k) {
      dl.appendChild(el("dt", null, LABEL[k] || k));
      var dd = el("dd");
      dd.appendChild(valueNode(k, detail[k]));
      dl.appendChild(dd);
    });
    return dl;
  }
  function findingItem(f) {
    var rule = data.rules[f[1]], sev = SEV[f[2]] || SEV[1];
    var li = el("li", "f"), head = el("div", "f-head");
    head.appendChild(el("span", "badge sev-" + sev[0], sev[1]));
    var r = el("span", "f-rule", rule[2] + " ");
    r.appendChild(el("code", null, rule[0]));
    head.appendChild(r);
    if (f[5]) head.appendChild(el("span", "badge badge-new", "本次新增"));
    li.appendChild(head);
    li.appendChild(el("p", "f-msg", data.messages[f[3]]));
    var ev = evidence(data.details[f[4]] || {});
    if (ev) li.appendChild(ev);
    if (rule[3]) {
      var d = el("details", "fix");
      d.appendChild(el("summary", null, "如何修正"));
      d.appendChild(el("p", null, rule[3]));
      li.appendChild(d);
    }
    return li;
  }
  function reviewItem(r) {
    var rr = data.reviewRules[r[1]];
    var li = el("li", "f"), head = el("div", "f-head");
    head.appendChild(el("span", "badge sev-notice", "需人工檢視"));
    var name = el("span", "f-rule", (rr[1] || rr[0]) + " ");
    name.appendChild(el("code", null, rr[0]));
    head.appendChild(name);
    li.appendChild(head);
    var ev = evidence(data.details[r[2]] || {});
    if (ev) li.appendChild(ev);
    return li;
  }

  // A paged list: items are indexes into `source`, grouped under their page.
  function PagedList(opts) {
    this.o = opts;
    this.items = [];
    this.page = 0;
    this.results = document.getElementById(opts.results);
    this.status = document.getElementById(opts.status);
    this.pager = document.getElementById(opts.pager);
  }
  PagedList.prototype.set = function (items) { this.items = items; this.page = 0; this.draw(); };
  PagedList.prototype.draw = function () {
    var o = this.o, src = o.source, start = this.page * PAGE;
    var slice = this.items.slice(start, start + PAGE);
    var frag = document.createDocumentFragment(), last = -1, block = null, pages = {};
    for (var i = 0; i < this.items.length; i++) pages[src[this.items[i]][0]] = 1;
    slice.forEach(function (idx) {
      var item = src[idx];
      if (item[0] !== last) { block = pageBlock(item[0]); frag.appendChild(block.node); last = item[0]; }
      block.list.appendChild(o.render(item));
    });
    this.results.textContent = "";
    this.results.appendChild(frag);
    var n = this.items.length, np = Object.keys(pages).length;
    this.status.textContent = n
      ? o.noun + " " + num(n) + " 項，分布於 " + num(np) + " 個網頁" +
        (n > PAGE ? "；顯示第 " + num(start + 1) + "–" + num(start + slice.length) + " 項" : "") + "。"
      : o.empty;
    this.drawPager();
  };
  PagedList.prototype.drawPager = function () {
    var self = this, pages = Math.ceil(this.items.length / PAGE);
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

  var findingsList = new PagedList({
    source: data.findings, results: "results", status: "f-status", pager: "pager",
    render: findingItem, noun: "符合條件的問題", empty: "沒有符合條件的問題。"
  });
  var reviewList = new PagedList({
    source: data.review, results: "review-results", status: "r-status", pager: "r-pager",
    render: reviewItem, noun: "需人工檢視", empty: "沒有符合條件的需人工檢視項目。"
  });

  function apply() {
    var flt = filters(), out = [], i;
    for (i = 0; i < data.findings.length; i++) if (findingMatches(data.findings[i], flt)) out.push(i);
    findingsList.set(out);
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
    reviewList.set(rev);
  }

  var timer = null;
  form.addEventListener("change", apply);
  form.addEventListener("input", function (e) {
    if (e.target.name !== "q") return;
    clearTimeout(timer);
    timer = setTimeout(apply, 200);  // typing should not redraw 20k rows per keystroke
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  Array.prototype.forEach.call(document.querySelectorAll("a.filter-unit"), function (a) {
    a.addEventListener("click", function () {
      form.reset();
      form.elements.unit.value = a.getAttribute("data-unit");
      apply();
    });
  });
  apply();
})();
