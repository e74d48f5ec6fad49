// The login page: posts the token once to api/login (which answers with an HttpOnly cookie), then
// goes back to the page that sent the user here. Only a relative path is followed (no open redirect).
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  function back() {
    var next = new URLSearchParams(location.search).get("next") || "";
    return /^[A-Za-z0-9_\-.\/?=&%]*$/.test(next) && next.indexOf("//") < 0 && next.charAt(0) !== "/" ? next || "./" : "./";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("login-token");
    fetch("api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: input.value }),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body.error && body.error.message) || response.status);
        input.value = "";
        location.href = back();
      });
    }).catch(function (e) { error.textContent = String(e.message || e); });
  });
})();
