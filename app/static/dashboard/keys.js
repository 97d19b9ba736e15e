// The new API key page: copy the key to the clipboard and say so to screen readers too.
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
})();
