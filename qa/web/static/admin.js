// The admin page (framed by the 管理 tab): log in, pick or create a collection, upload files and
// follow the indexing job, list and delete documents. Every call goes to the write API with the
// session cookie; the token typed in is posted once to api/login and never kept in the page.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var polling = null;
  var MESSAGES = window.QA_MESSAGES || {};

  // An error as a person reads it: the Chinese for its code (static/messages.js), never the API's own
  // message (which names headers and commands, for programs and curl).
  function said(code) { return MESSAGES[code] || MESSAGES.qa_error || "出错了，请稍后再试。"; }

  function failure(code) { var e = new Error(said(code)); e.qa = true; return e; }
  function words(e) { return e && e.qa ? e.message : said("qa_error"); }  // never a script's own English

  function call(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw failure((data.error && data.error.code) || "http_error");
        return data;
      });
    }, function () { throw failure("network"); });
  }

  function text(node, value) { node.textContent = value; return node; }
  function el(tag, cls, value) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (value !== undefined) node.textContent = value;
    return node;
  }
  function collection() { return $("admin-collection").value; }

  function status() {
    return call("GET", "api/admin/status").then(function (s) {
      var note = $("admin-status");
      $("admin-login-form").hidden = s.can_write || !s.admin_token_set;
      $("admin-panel").hidden = !s.can_write;
      $("admin-logout").hidden = !s.admin_token_set;
      if (s.can_write) {
        text(note, s.admin_token_set ? "已用管理令牌登录。" :
          "服务器没有设置管理令牌，所以只能在服务器本机上管理文档。要从其他电脑管理，请服务器管理员设置管理令牌（见部署说明）。");
        fillCollections(s.collections);
      } else if (s.admin_token_set) {
        text(note, "请输入管理令牌，登录后可以上传或删除文档。");
      } else {
        text(note, "服务器没有设置管理令牌，只能在服务器本机上管理文档。要从其他电脑管理，请服务器管理员设置管理令牌（见部署说明）。");
      }
    }).catch(function (e) { text($("admin-status"), words(e)); });
  }

  function fillCollections(names, chosen) {
    var select = $("admin-collection");
    var keep = chosen || select.value;
    select.textContent = "";
    names.forEach(function (n) { var o = el("option", "", n); o.value = n; select.appendChild(o); });
    if (keep && names.indexOf(keep) >= 0) select.value = keep;
    documents();
  }

  function documents() {
    var list = $("admin-docs");
    list.textContent = "";
    call("GET", "api/documents?collection=" + encodeURIComponent(collection())).then(function (d) {
      d.documents.forEach(function (doc) {
        var item = el("li", "", doc.title + "（" + doc.file + "）");
        var remove = el("button", "", "删除");
        remove.type = "button";
        remove.setAttribute("data-doc", doc.doc_id);
        remove.addEventListener("click", function () {
          if (!confirm("删除文档「" + doc.title + "」所在的整个文件？")) return;
          call("DELETE", "api/collections/" + encodeURIComponent(collection()) + "/documents/" +
               encodeURIComponent(doc.doc_id)).then(function (r) { follow(r.job); }).catch(showError);
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
    }).catch(function (e) { list.appendChild(el("li", "", words(e))); });
  }

  function showError(e) { var box = $("admin-job"); box.textContent = ""; box.appendChild(el("p", "error", words(e))); }

  // The build's steps (qa/index/build.py) and each file's state, in plain words.
  var STEPS = {
    reading: "读取文件", layout: "分析版面", "keyword tokens": "切分关键词",
    embedding: "计算语义向量", "keyword index": "建立关键词索引", FAISS: "建立向量索引", writing: "写入索引"
  };
  var UNITS = {
    reading: "个文件", layout: "个文件", "keyword tokens": "个段落", embedding: "条",
    "keyword index": "个段落", FAISS: "条", writing: "个段落"
  };
  var FILE_STATES = { queued: "等待索引", indexed: "已索引", unchanged: "内容未变，跳过", failed: "失败", removed: "已删除" };
  var FILE_STAGES = {
    reading: "正在读取", read: "已读取，等待后续步骤", layout: "正在分析版面", "keyword tokens": "正在切分关键词",
    embedding: "正在计算语义向量", "keyword index": "正在建立索引", FAISS: "正在建立索引", writing: "正在写入索引"
  };

  function duration(seconds) {
    seconds = Math.max(1, Math.round(seconds));
    if (seconds < 60) return seconds + " 秒";
    var minutes = Math.floor(seconds / 60);
    return minutes < 60 ? minutes + " 分 " + (seconds % 60) + " 秒" : Math.floor(minutes / 60) + " 小时 " + (minutes % 60) + " 分";
  }

  function summary(job) {  // the closing line, from the job's counts (its own message is for the API)
    if (job.state === "failed") return "失败：" + said(job.error_code || "qa_error") + " 知识库保持任务之前的样子。";
    var indexed = job.files.filter(function (f) { return f.state === "indexed"; });
    var passages = job.passages != null ? "知识库现有 " + job.passages + " 个段落。" : "";
    if (job.action === "remove") return "完成：已删除该文档。" + passages;
    if (!indexed.length) return "完成：没有需要索引的新文件。" + passages;
    return "完成：已索引 " + indexed.length + " 个文件。" + passages;
  }

  function render(job) {
    var box = $("admin-job");
    box.textContent = "";
    var states = { queued: "排队中", running: "正在索引", done: "完成", failed: "失败" };
    var title = job.action === "remove" ? "删除文档" : "上传并索引";
    var head = el("p", job.state === "done" ? "done" : job.state === "failed" ? "failed" : "", title + "：" + (states[job.state] || ""));
    head.id = "admin-job-state";
    head.setAttribute("data-state", job.state);
    box.appendChild(head);
    if (job.step && job.state === "running") {  // where the build stands; gone once it ends
      var unit = UNITS[job.step] || "";
      var line = el("p", "", "当前步骤：" + (STEPS[job.step] || "处理中") + "，" + job.step_done +
        (job.step_total ? " / " + job.step_total : "") + " " + unit);
      if (job.step_total) { var bar = el("progress"); bar.max = job.step_total; bar.value = job.step_done; line.appendChild(bar); }
      box.appendChild(line);
      if (job.step === "embedding") {
        box.appendChild(el("p", "muted", "语义向量按条计算：每个段落一条，段落中的每个句子也各一条，所以条数多于段落数。"));
      }
      if (job.eta_seconds != null) box.appendChild(el("p", "", "这一步预计还需约 " + duration(job.eta_seconds) + "。"));
    }
    if (job.state === "done" || job.state === "failed") box.appendChild(el("p", job.state === "failed" ? "error" : "", summary(job)));
    var files = el("ul");
    job.files.forEach(function (f) {
      var state = f.stage && job.state === "running" ? (FILE_STAGES[f.stage] || "正在索引") : (FILE_STATES[f.state] || "");
      var item = el("li", f.state === "failed" ? "error" : "", f.name + "：" + state +
        (f.passages != null ? "（" + f.passages + " 个段落）" : ""));
      item.setAttribute("data-state", f.stage && job.state === "running" ? f.stage : f.state);
      if (f.state === "failed") {
        item.appendChild(document.createTextNode(" — 无法读取这个文件：请确认它是 txt、md、pdf、docx、pptx、xlsx 或 html 文件，不是空文件，也不太大。"));
        if (f.error) item.title = f.error;  // the reader's own reason, for the administrator, on hover
      }
      files.appendChild(item);
    });
    box.appendChild(files);
  }

  function follow(job) {
    render(job);
    if (polling) clearTimeout(polling);
    if (job.state === "done" || job.state === "failed") {
      call("GET", "api/admin/status").then(function (s) { fillCollections(s.collections, job.collection); });
      return;
    }
    polling = setTimeout(function () {
      call("GET", "api/jobs/" + encodeURIComponent(job.id)).then(follow).catch(showError);
    }, 500);
  }

  $("admin-login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("admin-token");
    call("POST", "api/login", { token: input.value }).then(function (r) {
      input.value = "";
      text($("admin-login-error"), r.role === "admin" ? "" : "这是访问令牌，不是管理令牌。");
      status();
    }).catch(function (e) { input.value = ""; text($("admin-login-error"), words(e)); });
  });
  $("admin-logout").addEventListener("click", function () { call("POST", "api/logout").then(status); });
  $("admin-collection").addEventListener("change", documents);
  $("admin-create").addEventListener("click", function () {
    var name = $("admin-new").value.trim();
    if (!name) return;
    call("POST", "api/collections", { name: name }).then(function () {
      $("admin-new").value = "";
      return call("GET", "api/admin/status").then(function (s) { fillCollections(s.collections, name); });
    }).catch(showError);
  });
  $("admin-files").addEventListener("change", function () {
    var names = Array.prototype.map.call($("admin-files").files, function (f) { return f.name; });
    text($("admin-file-names"), names.length ? names.join("、") : "未选择文件");
  });
  $("admin-upload").addEventListener("click", function () {
    var input = $("admin-files");
    if (!input.files.length) return;
    var form = new FormData();
    Array.prototype.forEach.call(input.files, function (f) { form.append("files", f, f.name); });
    call("POST", "api/collections/" + encodeURIComponent(collection()) + "/documents", form)
      .then(function (r) { input.value = ""; text($("admin-file-names"), "未选择文件"); follow(r.job); }).catch(showError);
  });
  status();
})();
