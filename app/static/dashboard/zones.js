// Time zone pickers: the browser's own zone fills the hidden field, joins the suggested zones and,
// on a new shop, is chosen; a search box narrows the list to the zones whose name or city match.
(function () {
  "use strict";
  var browserZone = "";
  try {
    browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    browserZone = "";
  }
  var options = function (select) { return Array.prototype.slice.call(select.options); };
  var find = function (select, value) {
    return options(select).filter(function (o) { return o.value === value; })[0] || null;
  };
  var normal = function (text) { return text.toLowerCase().replace(/[_\s]+/g, " ").trim(); };

  function suggest(picker, select) {
    var known = find(select, browserZone);
    var hidden = picker.querySelector("input[type=hidden]");
    if (hidden && browserZone) { hidden.value = browserZone; }
    if (!browserZone || !known) { return; }  // a zone the list does not offer (an old alias, say)
    var suggested = select.querySelector("optgroup");
    if (suggested && known.parentNode !== suggested) {  // moved up from the other zones
      var installation = suggested.querySelector("option[value='']");
      suggested.insertBefore(known, installation ? installation.nextSibling : suggested.firstChild);
    }
    if (picker.hasAttribute("data-follow-browser")) { select.value = browserZone; }
  }

  function narrow(select, words, status) {
    var first = null;
    var count = 0;
    options(select).forEach(function (o) {
      var show = !words || normal(o.textContent + " " + o.value).indexOf(words) !== -1;
      o.hidden = !show;
      if (show && o.value) { count += 1; first = first || o; }
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
    });
    var current = select.options[select.selectedIndex];
    if (words && first && (!current || current.hidden)) { first.selected = true; }
    status.textContent = !words ? "" : count ? status.dataset.some.replace("{n}", count) : status.dataset.none;
  }

  document.querySelectorAll("[data-zone-picker]").forEach(function (picker) {
    var select = picker.querySelector("select");
    var box = picker.querySelector(".zone-filter");
    var input = box.querySelector("input");
    var status = box.querySelector("[data-zone-count]");
    suggest(picker, select);
    box.hidden = false;
    input.addEventListener("input", function () { narrow(select, normal(input.value), status); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // choosing, not sending the form yet
        event.preventDefault();
        select.focus();
      }
    });
  });
})();
