/* The driver app (/driver/): offline action queue, label scanner, signature pad, positions.
 *
 * Every form marked data-queue is an action: it gets a fresh client id, is stored in IndexedDB
 * (photos as Blobs) and sent from there, oldest first. An action stays queued until the server
 * answered it (2xx: applied, or applied before; 404/422: refused, shown and dropped), so one
 * made without signal is sent when the phone is back online, and the server applies each
 * client id once however often it arrives. Positions are sent only while the route is started,
 * at most every data-position-seconds (watchPosition, throttled); never queued (an old position
 * is no news). No inline script: CSP is strict.
 */
(function () {
  "use strict";

  var DB_NAME = "nearbox-driver";
  var STORE = "actions";
  var body = document.body;
  var flushing = false;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function queued() { return tx("readonly", function (store) { return store.getAll(); }); }
  function enqueue(entry) { return tx("readwrite", function (store) { return store.add(entry); }); }
  function drop(seq) { return tx("readwrite", function (store) { return store.delete(seq); }); }

  function status(text, kind) {
    var el = document.getElementById("sync-status");
    if (!el) return;
    el.hidden = !text;
    el.textContent = text || "";
    el.className = "sync" + (kind ? " sync-" + kind : "");
  }

  function entryFromForm(form) {
    var data = new FormData(form);
    var entry = { fields: {}, photo: null, photoName: "", kind: form.dataset.queue };
    data.forEach(function (value, key) {
      if (key === "photo") {
        if (value && value.size) { entry.photo = value; entry.photoName = value.name || "photo.jpg"; }
      } else if (key !== "csrfmiddlewaretoken") {
        entry.fields[key] = value;
      }
    });
    entry.fields.client_id = newId();
    entry.fields.happened_at = new Date().toISOString();
    return entry;
  }

  function send(entry) {
    var data = new FormData();
    Object.keys(entry.fields).forEach(function (key) { data.append(key, entry.fields[key]); });
    if (entry.photo) data.append("photo", entry.photo, entry.photoName);
    return fetch(body.dataset.actions, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": body.dataset.csrf, "Accept": "application/json" },
    });
  }

  function flush() {
    if (flushing) return Promise.resolve();
    flushing = true;
    var changed = false;
    var refused = [];
    function next(items) {
      if (!items.length) return Promise.resolve();
      var entry = items[0];
      return send(entry).then(function (response) {
        if (response.ok || response.status === 404 || response.status === 422) {
          changed = true;
          if (!response.ok) {
            return response.json().catch(function () { return {}; }).then(function (problem) {
              refused.push(problem.detail || "The action was refused.");
              return drop(entry.seq);
            }).then(function () { return next(items.slice(1)); });
          }
          return drop(entry.seq).then(function () { return next(items.slice(1)); });
        }
        throw new Error("HTTP " + response.status); // keep it queued; try again later
      });
    }
    return queued().then(next).then(function () {
      flushing = false;
      if (refused.length) {
        status(refused.join(" "), "error");
      } else if (changed) {
        status("All sent.", "ok");
        afterSync();
      }
    }).catch(function () {
      flushing = false;
      queued().then(function (items) {
        if (items.length) status(items.length + " action" + (items.length > 1 ? "s" : "") + " saved on the phone, sent when there is signal.", "queued");
      });
    });
  }

  function afterSync() {
    var route = document.getElementById("route");
    if (route) { window.location.reload(); return; }
    var stop = document.getElementById("stop");
    var back = document.querySelector("a.back");
    if (stop && back) window.location.href = back.href;
  }

  function onSubmit(event) {
    var form = event.target.closest("form[data-queue]");
    if (!form || !window.indexedDB) return; // without IndexedDB the form posts as usual
    event.preventDefault();
    var signature = form.querySelector("canvas.signature");
    if (signature && signature.dataset.signed === "true") {
      document.getElementById(signature.dataset.field).value = signature.toDataURL("image/png");
    }
    var entry = entryFromForm(form);
    enqueue(entry).then(function () {
      if (form.dataset.queue === "load") {
        var input = form.querySelector("input[name=code]");
        markLoaded(input.value);
        input.value = "";
        input.focus();
      }
      var note = document.getElementById("queued-note");
      if (!navigator.onLine && note) note.hidden = false;
      return flush();
    });
  }

  function markLoaded(code) {
    var wanted = (code || "").trim().toUpperCase();
    document.querySelectorAll("#to-load li").forEach(function (li) {
      if ((li.dataset.code || "").toUpperCase() === wanted) li.classList.add("loaded");
    });
  }

  /* --- signature pad -------------------------------------------------------------------- */
  function signaturePad(canvas) {
    var ctx = canvas.getContext("2d");
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111827";
    var drawing = false;
    function at(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; canvas.setPointerCapture(event.pointerId);
      var p = at(event); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = at(event); ctx.lineTo(p[0], p[1]); ctx.stroke();
      canvas.dataset.signed = "true";
    });
    canvas.addEventListener("pointerup", function () { drawing = false; });
    var clear = document.getElementById("signature-clear");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); canvas.dataset.signed = "false";
    });
  }

  /* --- label scanner: BarcodeDetector, else the vendored ZXing ------------------------------ */
  function scanner() {
    var button = document.getElementById("scan-button");
    var box = document.getElementById("scanner");
    var video = document.getElementById("scanner-video");
    var input = document.getElementById("parcel-code");
    if (!button || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    if (!("BarcodeDetector" in window) && !window.ZXing) return;
    button.hidden = false;
    var stream = null, timer = null, reader = null;
    function stop() {
      if (timer) clearInterval(timer);
      if (reader) reader.reset();
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = timer = reader = null; box.hidden = true;
    }
    function found(text) {
      input.value = text;
      stop();
      input.form.requestSubmit();
    }
    button.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
        stream = s; video.srcObject = s; box.hidden = false; video.play();
        if ("BarcodeDetector" in window) {
          var detector = new window.BarcodeDetector();
          timer = setInterval(function () {
            detector.detect(video).then(function (codes) { if (codes.length) found(codes[0].rawValue); }).catch(function () {});
          }, 250);
        } else {
          reader = new window.ZXing.BrowserMultiFormatReader();
          reader.decodeFromVideoElementContinuously ? reader.decodeFromVideoElementContinuously(video, function (result) { if (result) found(result.getText()); })
            : reader.decodeFromVideoDevice(null, video, function (result) { if (result) found(result.getText()); });
        }
      }).catch(function () { status("The camera is not available: type the parcel number.", "error"); });
    });
    document.getElementById("scan-stop").addEventListener("click", stop);
  }

  /* --- positions while the route is started ------------------------------------------------- */
  function positions() {
    var route = document.getElementById("route");
    if (!route || route.dataset.state !== "started" || !navigator.geolocation) return;
    var every = (parseInt(route.dataset.positionSeconds, 10) || 20) * 1000;
    var last = 0, watch = null;
    watch = navigator.geolocation.watchPosition(function (pos) {
      var now = Date.now();
      if (now - last < every) return; // battery and server friendly
      last = now;
      fetch(body.dataset.positions, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": body.dataset.csrf, "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({
          route_id: parseInt(route.dataset.route, 10), latitude: pos.coords.latitude,
          longitude: pos.coords.longitude, recorded_at: new Date(pos.timestamp || now).toISOString(),
        }),
      }).then(function (response) {
        if (response.status === 409 && watch !== null) navigator.geolocation.clearWatch(watch);
        else if (response.ok) route.dataset.positionSent = String(now);
      }).catch(function () {});
    }, function () {}, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }

  // Sign-out on a shared phone: what is kept on it (queued actions, the pages the service
  // worker keeps for no signal) belongs to this driver, so it goes; unsent actions are asked
  // about first. The server's Clear-Site-Data answer clears the same where it is supported.
  function onSignOut(event) {
    var form = event.target.closest("form[data-sign-out]");
    if (!form) return;
    event.preventDefault();
    var count = window.indexedDB ? queued().catch(function () { return []; }) : Promise.resolve([]);
    count.then(function (items) {
      if (items.length && !window.confirm(items.length + " action" + (items.length > 1 ? "s are" : " is") + " not sent yet and will be lost. Sign out anyway?")) return;
      var wipe = [];
      if (window.indexedDB) wipe.push(new Promise(function (resolve) {
        var request = indexedDB.deleteDatabase(DB_NAME);
        request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
      }));
      if (window.caches) wipe.push(caches.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) { return caches.delete(k); }));
      }).catch(function () {}));
      Promise.all(wipe).then(function () { form.submit(); });
    });
  }

  function start() {
    document.addEventListener("submit", onSignOut);
    document.addEventListener("submit", onSubmit);
    document.querySelectorAll("canvas.signature").forEach(signaturePad);
    scanner();
    positions();
    window.addEventListener("online", flush);
    setInterval(function () { if (navigator.onLine) flush(); }, 20000);
    if (window.indexedDB) flush();
    if ("serviceWorker" in navigator && body.dataset.sw) {
      navigator.serviceWorker.register(body.dataset.sw, { scope: "/driver/" }).catch(function () {});
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
