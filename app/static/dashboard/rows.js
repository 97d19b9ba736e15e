// Editable lists of the program editor (tiers, rewards): "Add" appends an empty row from the
// list's <template>, "Remove" ticks the row's remove box and hides the row, so the server reads
// the form exactly as it does without JavaScript. Focus moves to where the owner goes next and a
// live region says what happened.
(function () {
  "use strict";

  function firstField(row) {
    return row.querySelector("input:not([type=hidden]):not([type=checkbox]), select");
  }

  function visibleRows(table) {
    return Array.from(table.tBodies[0].rows).filter(function (row) { return !row.hidden; });
  }

  function say(status, text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);  // read again if repeated
  }

  function enhanceRow(table, row, status, add) {
    var box = row.querySelector("[data-remove-box]");
    var button = row.querySelector("[data-remove-row]");
    if (!box || !button) { return; }
    var checkbox = box.querySelector("input[type=checkbox]");
    box.hidden = true;
    button.hidden = false;
    if (checkbox.checked) { row.hidden = true; }  // removed before the page came back with an error
    button.addEventListener("click", function () {
      var rows = visibleRows(table);
      var at = rows.indexOf(row);
      var next = rows[at + 1] || rows[at - 1];
      checkbox.checked = true;
      row.hidden = true;
      var target = next ? firstField(next) : add;
      if (target) { target.focus(); }
      say(status, status.dataset.removed);
    });
  }

  function setUp(table) {
    var list = table.dataset.rows;
    var form = table.closest("form");
    var count = form.elements[table.dataset.count];
    var template = document.getElementById(list + "-template");
    var add = document.getElementById("add-" + list);
    var more = document.getElementById("more-" + list);
    var status = document.getElementById(list + "-status");
    var most = Number(table.dataset.max);
    Array.from(table.tBodies[0].rows).forEach(function (row) { enhanceRow(table, row, status, add); });
    if (more) { more.hidden = true; }
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = Number(count.value);
      if (index >= most) {
        add.disabled = true;
        return;
      }
      var html = template.innerHTML.split("__i__").join(String(index)).split("__n__").join(String(index + 1));
      table.tBodies[0].insertAdjacentHTML("beforeend", html);
      var row = table.tBodies[0].rows[table.tBodies[0].rows.length - 1];
      count.value = String(index + 1);
      enhanceRow(table, row, status, add);
      firstField(row).focus();
      say(status, status.dataset.added);
      add.disabled = index + 1 >= most;
    });
  }

  document.querySelectorAll("table[data-rows]").forEach(setUp);
})();
