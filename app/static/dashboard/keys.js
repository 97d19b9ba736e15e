// API key pages: copy a new key to the clipboard (and say so to screen readers too), and ask
// before revoking a key, which cannot be undone.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copy);
      var status = document.getElementById("copy-status");
      var say = function (text) { if (status) { status.textContent = text; } };
      input.select();
      var fallback = function () {
        try {
          say(document.execCommand("copy") ? button.dataset.copied : button.dataset.failed);
        } catch (e) {
          say(button.dataset.failed);
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { say(button.dataset.copied); }, fallback);
      } else {
        fallback();
      }
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
})();
