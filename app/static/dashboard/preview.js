/* The program editor: colour pickers paired with their text fields, and the live card preview
   (texts, colours, language, images chosen but not yet uploaded), front and back. */
(function () {
  "use strict";

  var HEX = /^#[0-9a-fA-F]{6}$/;

  function byId(id) { return document.getElementById(id); }

  function initials(name) {
    var words = (name || "").replace(/[^\p{L}\p{N}]+/gu, " ").trim().split(/\s+/).filter(Boolean);
    var letters = words.slice(0, 2).map(function (w) { return w.charAt(0); }).join("").toUpperCase();
    return letters || "?";
  }

  /* Colour pickers and their text fields stay in step, whichever one is changed. */
  function pairColours(onChange) {
    document.querySelectorAll("input[data-color-for]").forEach(function (picker) {
      var text = byId(picker.getAttribute("data-color-for"));
      if (!text) { return; }
      picker.addEventListener("input", function () { text.value = picker.value; onChange(); });
      text.addEventListener("input", function () {
        var value = text.value.trim();
        if (/^[0-9a-fA-F]{6}$/.test(value)) { value = "#" + value; }
        if (HEX.test(value)) { picker.value = value.toLowerCase(); }
        onChange();
      });
    });
  }

  function setText(id, value) {
    var el = byId(id);
    if (el) { el.textContent = value; }
  }

  function showRow(id, value) {
    var row = byId(id + "-row");
    setText(id, value);
    if (row) { row.hidden = !value; }
  }

  function Preview(root) {
    this.root = root;
    this.texts = JSON.parse(root.getAttribute("data-texts") || "{}");
    this.urls = {};
  }

  Preview.prototype.value = function (name) {
    var field = byId(name);
    return field ? field.value : "";
  };

  Preview.prototype.colours = function () {
    var root = this.root;
    [["background_color", "--pv-bg"], ["foreground_color", "--pv-fg"], ["label_color", "--pv-label"]].forEach(function (pair) {
      var value = byId(pair[0]) ? byId(pair[0]).value.trim() : "";
      if (/^[0-9a-fA-F]{6}$/.test(value)) { value = "#" + value; }
      if (HEX.test(value)) { root.style.setProperty(pair[1], value); }
    });
  };

  Preview.prototype.language = function () {
    var lang = this.value("locale") || this.root.getAttribute("data-lang");
    var table = this.texts[lang];
    if (!table) { return; }
    this.root.setAttribute("lang", lang);
    this.root.querySelectorAll("[data-label]").forEach(function (el) {
      var label = table.labels[el.getAttribute("data-label")];
      if (label) { el.textContent = label; }
    });
    this.root.querySelectorAll("[data-text]").forEach(function (el) {
      var text = table[el.getAttribute("data-text")];
      if (text) { el.textContent = text; }
    });
  };

  Preview.prototype.texts_ = function () {
    if (byId("name")) { setText("pv-name", this.value("name")); }
    if (byId("organization_name")) {
      var org = this.value("organization_name");
      setText("pv-org", org);
      setText("pv-badge", initials(org || this.value("name")));
      setText("pv-icon-badge", initials(org || this.value("name")));
    }
    var label = byId("pv-points-label");
    if (label && !label.hasAttribute("data-label") && byId("points_label")) { label.textContent = this.value("points_label"); }
    if (byId("terms")) { showRow("pv-terms", this.value("terms").trim()); }
    if (byId("contact")) { showRow("pv-contact", this.value("contact").trim()); }
  };

  Preview.prototype.refresh = function () {
    this.colours();
    this.language();
    this.texts_();
  };

  /* An image chosen but not uploaded yet, or the saved one, or none (the drawn default). */
  Preview.prototype.image = function (kind) {
    var input = byId(kind);
    var remove = byId("remove_" + kind);
    var file = input && input.files && input.files[0];
    var url = "";
    if (this.urls[kind]) { URL.revokeObjectURL(this.urls[kind]); delete this.urls[kind]; }
    if (file) {
      url = this.urls[kind] = URL.createObjectURL(file);
    } else if (!(remove && remove.checked)) {
      var saved = kind === "strip" ? byId("pv-strip") : byId("pv-" + kind);
      url = saved ? saved.getAttribute("data-saved") || "" : "";
    }
    if (kind === "strip") {
      var strip = byId("pv-strip");
      strip.style.backgroundImage = url ? "url(\"" + url + "\")" : "";
      strip.classList.toggle("has-image", !!url);
      return;
    }
    var img = byId("pv-" + kind);
    var badge = byId(kind === "logo" ? "pv-badge" : "pv-icon-badge");
    img.src = url;
    img.hidden = !url;
    if (badge) { badge.hidden = !!url; }
  };

  function checkSize(input) {
    var live = byId(input.id + "-live");
    var file = input.files && input.files[0];
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var tooBig = !!(file && limit && file.size > limit);
    if (live) { live.textContent = tooBig ? input.getAttribute("data-too-big") : ""; }
    if (tooBig) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    return !tooBig;
  }

  function toggleSides() {
    var buttons = document.querySelectorAll(".pv-toggle [data-side]");
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var side = button.getAttribute("data-side");
        byId("preview-front-side").hidden = side !== "front";
        byId("preview-back-side").hidden = side !== "back";
        buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      });
    });
  }

  /* On the new-program form, the stamp fields matter only for a stamp card. */
  function stampFields() {
    var box = document.querySelector(".stamp-fields");
    if (!box) { return; }
    function update() {
      var stamps = byId("kind-stamps");
      box.hidden = !(stamps && stamps.checked);
    }
    document.querySelectorAll("input[name=kind]").forEach(function (r) { r.addEventListener("change", update); });
    update();
  }

  /* A points label still at one language's default follows the card's language. */
  function pointsLabelFollowsLanguage() {
    var label = byId("points_label");
    var locale = byId("locale");
    if (!label || !locale || !label.hasAttribute("data-defaults")) { return; }
    var defaults = JSON.parse(label.getAttribute("data-defaults"));
    locale.addEventListener("change", function () {
      var typed = label.value.trim();
      var untouched = !typed || Object.keys(defaults).some(function (k) { return defaults[k] === typed; });
      if (untouched && defaults[locale.value]) {
        label.value = defaults[locale.value];
        label.dispatchEvent(new Event("input"));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = byId("preview");
    var preview = root ? new Preview(root) : null;
    var refresh = function () { if (preview) { preview.refresh(); } };
    pairColours(refresh);
    stampFields();
    pointsLabelFollowsLanguage();
    if (!preview) { return; }
    document.querySelectorAll("[data-preview]").forEach(function (el) {
      el.addEventListener("input", refresh);
      el.addEventListener("change", refresh);
    });
    document.querySelectorAll("input[data-preview-image]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (checkSize(input)) { preview.image(input.getAttribute("data-preview-image")); }
      });
    });
    document.querySelectorAll("input[data-remove-image]").forEach(function (box) {
      box.addEventListener("change", function () { preview.image(box.getAttribute("data-remove-image")); });
    });
    toggleSides();
    refresh();
  });
}());
