/* The till: each form is sent once, and the camera reads the card's QR code.
 *
 * Reading uses the browser's own BarcodeDetector when it reads QR codes, else the vendored
 * barcode-detector ponyfill (ZXing compiled to WebAssembly), loaded only then, from our own
 * static files. Without JavaScript or a camera the typed number does the same job. */
(function () {
  "use strict";

  /* Once a form is sent its buttons are disabled: a second tap cannot send it again. The server
   * holds the real guarantee (each form's one-time key); this spares the cashier the wait. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("method") !== "post") return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // After this turn: the pressed button's name and value are already in the request.
    setTimeout(function () {
      form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      form.setAttribute("aria-busy", "true");
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;  // back from the history: the forms are usable again
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
    });
  });

  var CARD_NUMBER = /^\d{13}$/;
  var detectorPromise = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function nativeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    }, function () { return null; });
  }

  function ponyfillDetector(box) {
    var ready = window.BarcodeDetectionAPI ? Promise.resolve() : loadScript(box.dataset.ponyfill);
    return ready.then(function () {
      var api = window.BarcodeDetectionAPI;
      // The decoder's WebAssembly comes from our static files, never from a CDN.
      api.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) {
            return path.slice(-5) === ".wasm" ? new URL(box.dataset.wasm, location.href).href : prefix + path;
          }
        }
      });
      return new api.BarcodeDetector({ formats: ["qr_code"] });
    });
  }

  function detector(box) {
    if (!detectorPromise) {
      detectorPromise = nativeDetector().then(function (found) { return found || ponyfillDetector(box); });
      detectorPromise.catch(function () { detectorPromise = null; });
    }
    return detectorPromise;
  }

  function Scanner(box) {
    this.box = box;
    this.button = box.querySelector("button");
    this.camera = box.querySelector(".till-camera");
    this.video = box.querySelector("video");
    this.status = box.querySelector(".till-scan-status");
    this.input = document.getElementById(box.dataset.target);
    this.canvas = document.createElement("canvas");
    this.stream = null;
    this.timer = null;
    this.button.addEventListener("click", this.toggle.bind(this));
    window.addEventListener("pagehide", this.stop.bind(this));
  }

  Scanner.prototype.say = function (message) { this.status.textContent = message; };

  Scanner.prototype.toggle = function () {
    if (this.stream) { this.stop(); this.say(""); } else { this.start(); }
  };

  Scanner.prototype.start = function () {
    var self = this;
    self.say(self.box.dataset.msgStarting);
    var camera = navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    Promise.all([camera, detector(self.box)]).then(function (found) {
      self.stream = found[0];
      self.reader = found[1];
      self.video.srcObject = self.stream;
      self.camera.hidden = false;
      self.button.textContent = self.box.dataset.msgStop;
      return self.video.play().then(function () {
        self.say(self.box.dataset.msgLooking);
        self.look();
      });
    }).catch(function (error) {
      camera.then(function (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }, function () {});
      self.stop();
      var name = error && error.name;
      var refusals = ["NotAllowedError", "NotFoundError", "NotReadableError", "OverconstrainedError"];
      self.say(refusals.indexOf(name) >= 0 ? self.box.dataset.msgDenied : self.box.dataset.msgUnsupported);
    });
  };

  Scanner.prototype.look = function () {
    var self = this;
    if (!self.stream) return;
    var video = self.video;
    if (video.videoWidth) {
      self.canvas.width = video.videoWidth;
      self.canvas.height = video.videoHeight;
      self.canvas.getContext("2d").drawImage(video, 0, 0);
    }
    var read = video.videoWidth ? self.reader.detect(self.canvas) : Promise.resolve([]);
    read.then(function (codes) {
      var value = codes.length ? String(codes[0].rawValue || "").trim() : "";
      if (value && self.accept(value)) return;
      self.timer = setTimeout(self.look.bind(self), 150);
    }, function () {
      self.timer = setTimeout(self.look.bind(self), 300);
    });
  };

  /* A card field takes only a card number (a shop's join poster is a QR code too); a code field
   * takes what it reads. Then the form goes, as if the cashier had typed it and pressed Enter. */
  Scanner.prototype.accept = function (value) {
    var compact = value.replace(/[\s-]+/g, "");
    if (this.box.dataset.target === "card" && !CARD_NUMBER.test(compact)) return false;
    this.input.value = this.box.dataset.target === "card" ? compact : value;
    this.say(this.box.dataset.msgFound.replace("{value}", this.input.value));
    this.stop();
    var form = this.input.form;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  };

  Scanner.prototype.stop = function () {
    clearTimeout(this.timer);
    if (this.stream) this.stream.getTracks().forEach(function (track) { track.stop(); });
    this.stream = null;
    this.video.srcObject = null;
    this.camera.hidden = true;
    this.button.textContent = this.button.dataset.labelStart;
  };

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    document.querySelectorAll("[data-till-scan]").forEach(function (box) {
      if (!document.getElementById(box.dataset.target)) return;
      box.hidden = false;
      new Scanner(box);
    });
  }
})();
