// Supervisor dashboard, live view: re-read the numbers when the service rings the bell.
// The notification socket only says that something changed (ids and kinds, never case text); the
// numbers come from live.json, at most once a second, plus a slow poll in case the socket is down.
// Without JavaScript the page still shows the numbers of its own load.
(function () {
  "use strict";
  var root = document.getElementById("dashboard-live");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-live-url");
  var DEBOUNCE_MS = 1000;
  var POLL_MS = 30000;
  var RELEVANT = { status: true, queue: true, sla: true, transfer: true };
  var LEVEL_TEXT = {};
  var timer = null;
  var inFlight = false;
  var again = false;
  var stopped = false;
  var attempt = 0;

  Array.prototype.forEach.call(root.querySelectorAll("#table-live .light"), function (el) {
    LEVEL_TEXT[el.className.replace(/.*light-/, "")] = el.textContent;
  });

  function setState(text) {
    var el = document.getElementById("live-state");
    if (el) { el.textContent = text; }
  }

  function cell(row, data, first) {
    var el = document.createElement(first ? "th" : "td");
    if (first) { el.setAttribute("scope", "row"); }
    if (data.level) {
      var light = document.createElement("span");
      light.className = "light light-" + data.level;
      light.textContent = data.text;
      el.appendChild(light);
    } else if (data.href && data.text !== "0") {
      var link = document.createElement("a");
      link.href = data.href;
      link.textContent = data.text;
      el.appendChild(link);
    } else {
      el.textContent = data.text;
    }
    if (!first && /^[\d,.—]+$/.test(data.text)) { el.className = "num"; }
    row.appendChild(el);
  }

  function render(data) {
    var table = document.getElementById("table-live");
    if (table && data.table) {
      var body = document.createElement("tbody");
      data.table.rows.forEach(function (cells) {
        var row = document.createElement("tr");
        cells.forEach(function (c, i) { cell(row, c, i === 0); });
        body.appendChild(row);
      });
      if (!data.table.rows.length) {
        var empty = document.createElement("tr");
        var td = document.createElement("td");
        td.colSpan = data.table.headers.length;
        td.textContent = "—";
        empty.appendChild(td);
        body.appendChild(empty);
      }
      table.replaceChild(body, table.tBodies[0]);
    }
    ["waiting", "urgent_waiting", "warnings", "breaches", "on_duty"].forEach(function (key) {
      var el = root.querySelector('[data-key="' + key + '"]');
      if (el && data[key] !== undefined) { el.textContent = String(data[key]); }
    });
    var tile = root.querySelector('[data-tile="level"]');
    if (tile) {
      tile.className = "tile light-" + data.level;
      var label = tile.querySelector('[data-key="level_label"]');
      if (label && LEVEL_TEXT[data.level]) { label.textContent = LEVEL_TEXT[data.level]; }
    }
    var stamp = document.getElementById("live-updated");
    if (stamp && data.generated_at) {
      stamp.setAttribute("datetime", data.generated_at);
      stamp.textContent = new Date(data.generated_at).toLocaleTimeString("ja-JP");
    }
  }

  function refresh() {
    timer = null;
    if (stopped) { return; }
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.redirected) {
          stopped = true;
          setState(root.getAttribute("data-msg-reload") || "");
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) { render(data); setState(""); } })
      .catch(function () { setState(root.getAttribute("data-msg-offline") || ""); })
      .then(function () {
        inFlight = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (timer === null) { timer = setTimeout(refresh, DEBOUNCE_MS); }
  }

  function connect() {
    if (!window.WebSocket || stopped) { return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/notifications/");
    socket.onopen = function () { attempt = 0; schedule(); };
    socket.onmessage = function (event) {
      try {
        var payload = JSON.parse(event.data);
        if (payload && RELEVANT[payload.type]) { schedule(); }
      } catch (e) { /* not for us */ }
    };
    socket.onclose = function (event) {
      if (event.code === 4403 || event.code === 4401) { return; }
      attempt += 1;
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2));
    };
  }

  setInterval(function () { if (document.visibilityState !== "hidden") { schedule(); } }, POLL_MS);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { schedule(); }
  });
  connect();
}());
