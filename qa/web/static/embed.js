// The embeddable qa page: a conversation (follow-ups read from the earlier questions), cited passages
// read in context, quotation checks.
// Every piece of data enters the page through textContent; no HTML is ever built from strings.
// Every citation shown is the JSON's `citation` (built once, qa/records.py Citation.label); every error
// is the Chinese for its `code` (static/messages.js).
// All URLs are relative, so the page works under a reverse proxy's sub-path.
(function () {
  "use strict";

  var VERDICTS = {
    exact: "原文一致", normalized: "仅格式不同", altered: "引文有改动",
    spliced: "拼接引文", not_found: "未找到出处"
  };
  var FLAGS = { number: "数字改动", date: "日期改动", negation: "否定改动", name: "名称改动" };
  var NORMALIZATIONS = {
    quote_marks: "引号", letter_case: "大小写", traditional_simplified: "繁简",
    punctuation_width: "标点全半角", character_width: "全半角", whitespace: "空白"
  };
  var EXPLAIN = {
    exact: "引文与原文逐字相同。", normalized: "只有标点、全半角或繁简等写法差异，文字一致。",
    altered: "找到出处，但引文的文字与原文不同，请看下面的差异。", spliced: "引文由几处原文拼接而成。",
    not_found: "语料中没有这段引文的出处。"
  };
  var WORTH_READING = 0.6;  // a not-found quote's nearest paragraphs open from here on (check_view.py)
  var MESSAGES = window.QA_MESSAGES || {};
  var CONTEXT = 2;
  var SECTION = 30;
  var documents = {};

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // text with text[start:end] (the highlighted sentence) in <mark class="qa-hl"> and text[answer]
  // (the short answer, usually inside it) in <mark class="qa-short">, nested, appended to parent as
  // text nodes. The same cut as qa/chat/render.py's marked().
  function appendHighlighted(parent, text, start, end, answer) {
    function clamp(a, b) {
      a = Math.max(0, Math.min(a, text.length)); b = Math.max(0, Math.min(b, text.length));
      return a < b ? [a, b] : [0, 0];
    }
    var hl = clamp(start, end), ans = answer ? clamp(answer[0], answer[1]) : [0, 0];
    var cuts = [0, text.length, hl[0], hl[1], ans[0], ans[1]].sort(function (a, b) { return a - b; });
    var mark = null;
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1];
      if (a >= b) continue;
      var inHl = hl[0] <= a && a < hl[1], inAns = ans[0] <= a && a < ans[1];
      if (inHl && !mark) { mark = el("mark", "qa-hl"); parent.appendChild(mark); }
      if (!inHl) mark = null;
      var piece = inAns ? el("mark", "qa-short", text.slice(a, b)) : document.createTextNode(text.slice(a, b));
      (mark || parent).appendChild(piece);
    }
  }

  // The short answer's span inside hit.text, on its card only (whitespace at its edges left out).
  function shortSpan(answer, hit) {
    var short = answer.short_answer, span = hit.answer_span;
    if (!short || !span || short.card !== hit.rank) return null;
    var start = span.start, end = span.end;
    while (start < end && /\s/.test(hit.text.charAt(start))) start++;
    while (end > start && /\s/.test(hit.text.charAt(end - 1))) end--;
    return [start, end];
  }

  // /embed?collection=NAME pins the widget to one collection: every call names it.
  var COLLECTION = new URLSearchParams(window.location.search).get("collection");  // window.: this file has its own location()

  function post(url, body) {
    if (COLLECTION) body.collection = COLLECTION;
    return request(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  function request(url, options) {
    if (COLLECTION && url.indexOf("api/documents") === 0) {
      url += (url.indexOf("?") < 0 ? "?" : "&") + "collection=" + encodeURIComponent(COLLECTION);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw failure((data && data.error && data.error.code) || "http_error");
        return data;
      });
    }, function () { throw failure("network"); });
  }

  // An error as a person reads it: the Chinese for its code, never the API's own message.
  function failure(code) {
    var error = new Error(MESSAGES[code] || MESSAGES.qa_error || "出错了，请稍后再试。");
    error.qa = true;
    return error;
  }
  function words(error) { return error && error.qa ? error.message : (MESSAGES.qa_error || "出错了，请稍后再试。"); }

  function status(id, text, isError) {
    var node = $(id);
    node.textContent = text || "";
    node.className = "qa-status" + (isError ? " qa-error" : "");
  }

  // What the copy button puts on the clipboard: the highlighted sentence's citation and the exact file span.
  function copyText(hit) {
    var cite = (hit.highlight && hit.highlight.citation) || hit.citation || "";
    return cite + "（" + hit.file + ":" + hit.start + "-" + hit.end + "）";
  }

  function copy(text, button) {
    function done() { button.textContent = "已复制"; setTimeout(function () { button.textContent = "复制引文"; }, 1500); }
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      try { document.execCommand("copy"); done(); } finally { document.body.removeChild(area); }
    }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  // ---- ask: a conversation kept in this page (history sent with each question) -----------
  var history = [];
  var MAX_HISTORY = 10;  // the server uses the last max_history_turns of it anyway

  function appendTurn(answer) {
    var box = $("answer");
    var turn = el("div", "qa-turn");
    turn.setAttribute("data-turn", String(box.children.length + 1));
    turn.appendChild(el("div", "qa-q", "问：" + (answer.question || "")));
    if (answer.search_query && answer.search_query !== answer.question) {
      turn.appendChild(el("div", "qa-read-as", "按上文理解为：" + answer.search_query));
    }
    var short = answer.short_answer;
    if (short) {  // the answer reader's exact answer, with its card and where it stands in the file
      var lead = el("div", "qa-short-answer", "答：");
      lead.appendChild(el("span", "qa-short-text", short.text));
      lead.appendChild(el("span", "qa-ref", "[" + short.card + "]"));
      if (short.citation) lead.appendChild(el("span", "qa-short-where", short.citation));  // the page it is on
      turn.appendChild(lead);
    }
    var text = answer.answer || "没有找到相关内容。";
    var body = el("div", answer.answered === false ? "qa-answer qa-none" : "qa-answer");
    var pattern = /\[(\d{1,3})\]/g, last = 0, m;
    while ((m = pattern.exec(text)) !== null) {
      body.appendChild(document.createTextNode(text.slice(last, m.index)));
      body.appendChild(el("span", "qa-ref", m[0]));
      last = pattern.lastIndex;
    }
    body.appendChild(document.createTextNode(text.slice(last)));
    turn.appendChild(body);
    var cards = el("div", "qa-cards");
    var from = {};
    (answer.answer_from || []).forEach(function (source) { from[source.rank] = true; });
    (answer.hits || []).forEach(function (hit) { cards.appendChild(card(hit, from[hit.rank], shortSpan(answer, hit))); });
    turn.appendChild(cards);
    box.appendChild(turn);
    box.setAttribute("data-state", "done");
    box.setAttribute("data-turns", String(box.children.length));
    if (turn.scrollIntoView) turn.scrollIntoView({ block: "start" });
  }

  function newChat() {
    history = [];
    clear($("answer"));
    $("answer").removeAttribute("data-state");
    $("answer").setAttribute("data-turns", "0");
    status("ask-status", "");
    showReader(false);
    $("q").focus();
  }

  function card(hit, answerSource, short) {
    var node = el("div", "qa-card");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.setAttribute("data-rank", hit.rank);
    var head = el("div", "qa-card-head");
    head.appendChild(el("span", "qa-n", "[" + hit.rank + "]"));
    head.appendChild(document.createTextNode(hit.citation || hit.title || hit.doc_id));
    if (answerSource) head.appendChild(el("span", "qa-from", "回答出自此段"));
    node.appendChild(head);
    node.appendChild(el("div", "qa-meta", "相关度 " + Number(hit.score).toFixed(3) + " · 点击在上下文中阅读"));
    var text = el("p", "qa-text");
    var hl = hit.highlight || {};
    appendHighlighted(text, hit.text, hl.start || 0, hl.end || 0, short);
    node.appendChild(text);
    var cite = el("div", "qa-cite", "划线句出处：");
    var label = copyText(hit);
    cite.appendChild(el("code", "", (hit.highlight && hit.highlight.citation) || hit.citation || ""));
    var button = el("button", "qa-copy", "复制引文");
    button.type = "button";
    button.addEventListener("click", function (event) { event.stopPropagation(); copy(label, button); });
    cite.appendChild(button);
    node.appendChild(cite);
    node.addEventListener("click", function () { openContext(hit, short); });
    node.addEventListener("keydown", function (event) {
      if (event.target === node && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); openContext(hit, short); }
    });
    return node;
  }

  function ask(event) {
    event.preventDefault();
    var question = $("q").value.trim();
    if (!question) { status("ask-status", "请输入问题。", true); return; }
    $("answer").removeAttribute("data-state");
    status("ask-status", "正在查找……");
    showReader(false);
    post("api/ask", { question: question, history: history.slice(-MAX_HISTORY) }).then(function (answer) {
      status("ask-status", "");
      history.push({ question: question, answer: answer.answer || "" });
      $("q").value = "";
      appendTurn(answer);
    }).catch(function (error) {
      status("ask-status", words(error), true);
    });
  }

  // ---- a passage in context --------------------------------------------------------------
  function loadDocument(docId) {
    if (!documents[docId]) {
      documents[docId] = request("api/documents/" + encodeURIComponent(docId)).catch(function (error) {
        delete documents[docId];
        throw error;
      });
    }
    return documents[docId];
  }

  function showReader(on) {
    $("reader").hidden = !on;
    $("answer").hidden = on;
  }

  // The section a passage stands in: from the heading above it (else CONTEXT paragraphs before) to
  // the paragraph before the next heading (else CONTEXT paragraphs after); as context_html in ui.py.
  function section(paragraphs, first, last) {
    var kinds = {};
    paragraphs.forEach(function (p) { kinds[p.paragraph] = p.kind; });
    var start = Math.max(first - CONTEXT, 1), end = last + CONTEXT, k;
    for (k = first; k > Math.max(first - SECTION, 0); k--) if (kinds[k] === "heading") { start = k; break; }
    for (k = last + 1; k < last + SECTION; k++) if (kinds[k] === "heading") { end = k - 1; break; }
    return [start, end];
  }

  function openContext(hit, short) {
    status("ask-status", "正在打开原文……");
    loadDocument(hit.doc_id).then(function (article) {
      status("ask-status", "");
      $("reader-title").textContent = article.title || article.doc_id;
      $("reader-meta").textContent = (hit.citation || "") + " · 文件中的位置：" + hit.file + ":" + hit.start + "-" + hit.end;
      var body = $("reader-body");
      clear(body);
      var paragraphs = article.paragraphs || [], first = hit.paragraph, last = hit.paragraph_end || first;
      var bounds = section(paragraphs, first, last), hl = hit.highlight || {};
      var sentence = hit.text.slice(hl.start || 0, hl.end || 0), marked = false;
      paragraphs.forEach(function (p) {
        if (p.paragraph < bounds[0] || p.paragraph > bounds[1]) return;
        var para = el("p", "qa-para");
        para.appendChild(el("span", "qa-pn", "第" + p.paragraph + "段"));
        var inside = p.paragraph >= first && p.paragraph <= last;
        if (inside) para.className += " qa-target";
        var at = inside && sentence && !marked ? p.text.indexOf(sentence) : -1;
        if (at >= 0) {
          var shift = at - (hl.start || 0), answer = short ? [short[0] + shift, short[1] + shift] : null;
          if (answer && p.text.slice(Math.max(0, answer[0]), answer[1]) !== hit.text.slice(short[0], short[1])) {
            answer = null;  // the answer is not inside this paragraph's copy of the sentence
          }
          appendHighlighted(para, p.text, at, at + sentence.length, answer);
          marked = true;
        } else para.appendChild(document.createTextNode(p.text));
        body.appendChild(para);
      });
      showReader(true);
      var target = body.querySelector(".qa-target");
      if (target && target.scrollIntoView) target.scrollIntoView({ block: "nearest" });
    }).catch(function (error) { status("ask-status", words(error), true); });
  }

  // ---- quote check -----------------------------------------------------------------------
  function flagText(flag) {
    if (!flag || typeof flag !== "object") return "⚠ " + String(flag);
    var kind = String(flag.kind || "");
    return "⚠ " + (FLAGS[kind] || kind) + "：原文「" + (flag.source || "") + "」→ 引文「" + (flag.quote || "") + "」";
  }

  function renderMatch(m) {
    var node = el("div", "qa-card qa-match");
    node.style.cursor = "default";
    node.appendChild(el("div", "qa-card-head", "出处：" + (m.citation || "")));
    if (m.similarity !== undefined && m.similarity !== null) {
      node.appendChild(el("div", "qa-meta", "相似度 " + Math.round(Number(m.similarity) * 100) + "%"));
    }
    (m.flags || []).forEach(function (flag) { node.appendChild(el("span", "qa-flag", flagText(flag))); });
    var changed = (m.diff || []).some(function (op) { return op.op !== "equal"; });
    if (changed) {  // the diff and its legend only where something is struck out or added
      var diff = el("div", "qa-diff");
      m.diff.forEach(function (op) {
        var quote = op.quote || "", source = op.source || "";
        if (op.op === "equal") { diff.appendChild(document.createTextNode(quote || source)); return; }
        if (source) { var d = el("del", "", source); d.title = "原文"; diff.appendChild(d); }
        if (quote) { var i = el("ins", "", quote); i.title = "引文"; diff.appendChild(i); }
      });
      node.appendChild(diff);
      var legend = el("div", "qa-meta");
      legend.appendChild(el("del", "", "删去的原文"));
      legend.appendChild(document.createTextNode(" · "));
      legend.appendChild(el("ins", "", "引文新加"));
      node.appendChild(legend);
    }
    if (m.normalizations && m.normalizations.length) {
      node.appendChild(el("div", "qa-meta", "已忽略的写法差异：" + m.normalizations.map(function (n) { return NORMALIZATIONS[n] || n; }).join("、")));
    }
    return node;
  }

  function explain(result) {  // as check_view.py's verdict_text
    var verdict = String(result.verdict || ""), found = (result.matches || []).length;
    var text = EXPLAIN[verdict] || "无法判断这段引文。";
    if ((verdict === "exact" || verdict === "normalized") && found) text += "共找到 " + found + " 处。";
    if (verdict === "spliced") text = "引文由 " + (result.parts || []).length + " 段拼接而成，各段出处不相连。";
    return text;
  }

  function renderCheck(result) {
    var box = $("check");
    clear(box);
    var verdict = String(result.verdict || "");
    box.appendChild(el("div", "qa-verdict qa-v-" + verdict.replace(/[^a-z_]/g, ""), VERDICTS[verdict] || ""));
    box.appendChild(el("p", "qa-text", explain(result)));  // in Chinese; the JSON's message is for programs
    var pieces = result.parts || [];
    pieces.forEach(function (piece, k) {  // a spliced quote: each piece with the place it comes from
      box.appendChild(el("div", "qa-card-head", "片段 " + (k + 1) + "：「" + (piece.quote || "") + "」 " + (VERDICTS[piece.verdict] || "")));
      (piece.matches || []).slice(0, 1).forEach(function (m) { box.appendChild(renderMatch(m)); });
    });
    var matches = (result.matches || []).slice(0, 3);
    if (!pieces.length && verdict === "not_found" && matches.length) {
      // The nearest paragraphs open only where one is worth reading; below that they share a few words.
      var nearest = Number(matches[0].similarity || 0) >= WORTH_READING ? el("div", "qa-nearest") : el("details", "qa-nearest");
      nearest.appendChild(el(nearest.tagName === "DETAILS" ? "summary" : "p", "qa-open-hint",
        nearest.tagName === "DETAILS" ? "▸ 最接近的段落（相似度很低，仅供参考）" : "最接近的段落："));
      matches.forEach(function (m) { nearest.appendChild(renderMatch(m)); });
      box.appendChild(nearest);
    } else if (!pieces.length) matches.forEach(function (m) { box.appendChild(renderMatch(m)); });
    box.setAttribute("data-state", "done");
  }

  function check(event) {
    event.preventDefault();
    var quote = $("quote").value.trim();
    if (!quote) { status("check-status", "请粘贴要核对的引文。", true); return; }
    $("check").removeAttribute("data-state");
    status("check-status", "正在核对……");
    post("api/verify", { quote: quote }).then(function (result) {
      status("check-status", "");
      renderCheck(result);
    }).catch(function (error) { clear($("check")); status("check-status", words(error), true); });
  }

  // ---- modes -----------------------------------------------------------------------------
  function mode(name) {
    var checking = name === "check";
    $("ask-view").hidden = checking;
    $("check-view").hidden = !checking;
    $("mode-ask").setAttribute("aria-selected", String(!checking));
    $("mode-check").setAttribute("aria-selected", String(checking));
    (checking ? $("quote") : $("q")).focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Tell the page that frames the widget that it is showing. A page on an origin not in embed_origins
    // never hears this (the browser refuses to render the widget there: frame-ancestors), and the host
    // snippet of docs/widget.md then shows its one-line explanation instead of the browser's grey frame.
    // Nothing but this fixed word is sent.
    if (window.parent !== window) window.parent.postMessage({ qa: "embed-ready" }, "*");
    $("ask-form").addEventListener("submit", ask);
    $("check-form").addEventListener("submit", check);
    $("reader-back").addEventListener("click", function () { showReader(false); });
    $("new-chat").addEventListener("click", newChat);
    $("mode-ask").addEventListener("click", function () { mode("ask"); });
    $("mode-check").addEventListener("click", function () { mode("check"); });
    $("quote").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) check(event);
    });
  });
})();
