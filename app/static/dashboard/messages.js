// Messages: the recipient count follows the chosen segment, the preview follows the text.
// Without this script the page still works: the "Preview" step counts on the server.
(function () {
  "use strict";
  var form = document.getElementById("message-form");
  if (!form) { return; }
  var text = form.querySelector("#text");
  var type = form.querySelector("#type");
  var recipients = document.getElementById("recipients");
  var counter = document.getElementById("text-counter");
  var sendButton = document.getElementById("send-button");
  var previews = document.querySelectorAll("[data-preview-text]");
  var placeholder = previews.length ? previews[0].textContent : "";
  var pending = null;
  var asked = 0;

  function showFields() {
    form.querySelectorAll("[data-for]").forEach(function (box) {
      box.hidden = box.getAttribute("data-for") !== type.value;
    });
  }

  function stalePreview() {
    // What was previewed is no longer what the form holds: preview again before sending.
    if (sendButton) { sendButton.disabled = true; }
  }

  function showText() {
    var value = text.value.trim();
    previews.forEach(function (node) { node.textContent = value || placeholder; });
    var max = parseInt(text.getAttribute("maxlength"), 10) || 200;
    counter.hidden = false;
    counter.textContent = text.value.length + " / " + max;
    counter.classList.toggle("over", text.value.length > max);
  }

  function count() {
    var params = new URLSearchParams();
    params.set("type", type.value);
    ["tier", "days", "member_id"].forEach(function (name) {
      var input = form.querySelector("#" + name);
      if (input && input.value) { params.set(name, input.value); }
    });
    var consent = form.querySelector("#marketing_consent");
    if (consent && consent.checked) { params.set("marketing_consent", "1"); }
    var ticket = ++asked;
    fetch(form.getAttribute("data-recipients-url") + "?" + params.toString(), {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      if (ticket !== asked) { return; }  // an older answer arriving late
      recipients.textContent = body.error ? body.error.message : body.label;
      recipients.classList.toggle("error", Boolean(body.error));
      recipients.setAttribute("data-count", body.error ? "" : String(body.recipients));
    }).catch(function () { /* offline: the preview step still counts */ });
  }

  function segmentChanged() {
    showFields();
    stalePreview();
    clearTimeout(pending);
    pending = setTimeout(count, 250);
  }

  type.addEventListener("change", segmentChanged);
  ["tier", "days", "marketing_consent"].forEach(function (name) {
    var input = form.querySelector("#" + name);
    if (input) { input.addEventListener("input", segmentChanged); input.addEventListener("change", segmentChanged); }
  });
  text.addEventListener("input", function () { showText(); stalePreview(); });
  showFields();
  showText();
  count();
})();
