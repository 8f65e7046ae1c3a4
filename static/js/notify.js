// Live notifications for responders and supervisors: new urgent consultations, SLA warnings,
// handovers. Shows a banner (and a browser notification when allowed); the page holds no case text.
(function () {
  "use strict";
  var box = document.getElementById("live-notice");
  if (!box || !window.WebSocket) { return; }
  var attempt = 0;
  var messages = {
    queue: function (p) { return p.priority === "urgent" ? "緊急の相談が届きました（#" + p.consultation + "）" : "新しい相談が受付キューに入りました"; },
    sla: function (p) { return p.level === "breach" ? "応答目標を超えた相談があります（#" + p.consultation + "）" : "応答目標が近づいている相談があります（#" + p.consultation + "）"; },
    transfer: function (p) { return "引き継ぎの依頼があります（#" + p.consultation + "）"; },
    conference: function (p) { return "ケース会議に招待されました（#" + p.consultation + "）"; },
    debrief: function () { return "振り返り（デブリーフ）の依頼が届きました"; }
  };
  function show(payload) {
    var make = messages[payload.type];
    if (!make) { return; }
    var text = make(payload);
    var link = document.createElement("a");
    link.href = payload.type === "debrief" ? "/care/debriefs/" : "/consultations/" + payload.consultation + "/";
    link.textContent = text;
    box.innerHTML = "";
    box.appendChild(link);
    box.hidden = false;
    box.className = "live-notice" + (payload.priority === "urgent" || payload.level === "breach" ? " urgent" : "");
    if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
      new Notification("支援者支援 相談サービス", { body: text, tag: "soudan-" + payload.type + "-" + payload.consultation });
    }
    document.dispatchEvent(new CustomEvent("soudan:notify", { detail: payload }));
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/notifications/");
    socket.onopen = function () { attempt = 0; };
    socket.onmessage = function (event) { try { show(JSON.parse(event.data)); } catch (e) { /* ignore */ } };
    socket.onclose = function (event) {
      if (event.code === 4403 || event.code === 4401) { return; }
      attempt += 1;
      setTimeout(connect, Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2));
    };
  }
  connect();
}());
