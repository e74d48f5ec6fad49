// The admin page (framed by the 管理 tab): log in, pick or create a collection, upload files and
// follow the indexing job, list and delete documents. Every call goes to the write API with the
// session cookie; the token typed in is posted once to api/login and never kept in the page.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var polling = null;

  function call(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error((data.error && data.error.message) || "HTTP " + response.status);
        return data;
      });
    });
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
          "未设置管理令牌（admin_token）：只有服务器本机可以写入。要从其他电脑管理，请用 QA_ADMIN_TOKEN=<足够长的随机字符串> qa serve 启动。");
        fillCollections(s.collections);
      } else if (s.admin_token_set) {
        text(note, "请输入管理令牌（admin_token）登录后上传或删除文档。");
      } else {
        text(note, "未设置管理令牌（admin_token），只能在服务器本机写入。设置方法：QA_ADMIN_TOKEN=<足够长的随机字符串> qa serve");
      }
    }).catch(function (e) { text($("admin-status"), String(e.message || e)); });
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
    }).catch(function (e) { list.appendChild(el("li", "", String(e.message || e))); });
  }

  function showError(e) { var box = $("admin-job"); box.textContent = ""; box.appendChild(el("p", "error", String(e.message || e))); }

  function render(job) {
    var box = $("admin-job");
    box.textContent = "";
    var states = { queued: "排队中", running: "索引中", done: "完成", failed: "失败" };
    var head = el("p", job.state === "done" ? "done" : job.state === "failed" ? "failed" : "", "任务 " + job.id + "：" + (states[job.state] || job.state));
    head.id = "admin-job-state";
    head.setAttribute("data-state", job.state);
    box.appendChild(head);
    if (job.step && job.state === "running") {  // where the build stands; gone once it ends
      var line = el("p", "", "步骤 " + job.step + "：" + job.step_done + (job.step_total ? " / " + job.step_total : ""));
      if (job.step_total) { var bar = el("progress"); bar.max = job.step_total; bar.value = job.step_done; line.appendChild(bar); }
      box.appendChild(line);
    }
    if (job.files_total) box.appendChild(el("p", "", "已读文件 " + job.files_done + " / " + job.files_total + "，已嵌入 " + job.embedded + " 段文字"));
    if (job.message) box.appendChild(el("p", job.state === "failed" ? "error" : "", job.message));
    var files = el("ul");
    job.files.forEach(function (f) {
      var names = { queued: "待索引", indexed: "已索引", unchanged: "内容未变，跳过", failed: "失败", removed: "已删除" };
      var item = el("li", f.state === "failed" ? "error" : "", f.name + "：" + (names[f.state] || f.state) +
        (f.passages != null ? "（" + f.passages + " 段）" : "") + (f.error ? " — " + f.error : ""));
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
    }).catch(function (e) { input.value = ""; text($("admin-login-error"), String(e.message || e)); });
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
  $("admin-upload").addEventListener("click", function () {
    var input = $("admin-files");
    if (!input.files.length) return;
    var form = new FormData();
    Array.prototype.forEach.call(input.files, function (f) { form.append("files", f, f.name); });
    call("POST", "api/collections/" + encodeURIComponent(collection()) + "/documents", form)
      .then(function (r) { input.value = ""; follow(r.job); }).catch(showError);
  });
  status();
})();
