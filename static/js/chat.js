// Consultation chat client: reconnects with backoff and jitter, resumes from the last seq it saw,
// keeps an outbox for messages typed while offline (each sent once, by client_id), shows typing,
// read receipts and presence, and warns before sending text that looks like personal information.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) { return; }
  var id = root.getAttribute("data-room");
  var wsPath = root.getAttribute("data-ws-path");
  var checkUrl = root.getAttribute("data-check-url");
  var csrf = root.getAttribute("data-csrf");
  var canWhisper = root.getAttribute("data-whisper") === "1";
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var state = document.getElementById("chat-state");
  var typing = document.getElementById("chat-typing");
  var warning = document.getElementById("chat-warning");
  var presence = document.getElementById("chat-presence");
  var notifyBox = document.getElementById("chat-notify");
  var storeKey = "soudan.chat." + wsPath;
  var saved = JSON.parse(localStorage.getItem(storeKey) || "{}");
  var lastSeq = 0;
  var lastWhisper = 0;
  var outbox = saved.outbox || [];
  var socket = null;
  var attempt = 0;
  var openedAt = 0;
  var retryTimer = null;
  var retryDelay = 0;
  var typingTimer = null;
  var lastTypingSent = 0;
  var confirmedText = null;
  var online = {};
  var STATUS = { received: "受付", in_progress: "対応中", waiting: "情報待ち", escalated: "エスカレーション中", resolved: "解決", closed: "クローズ" };

  function persist() { localStorage.setItem(storeKey, JSON.stringify({ outbox: outbox })); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }
  function setState(text, cls) { state.textContent = text; state.className = "chat-state " + (cls || ""); }

  function render(frame) {
    var key = (frame.type === "whisper" ? "w" : "m") + frame.seq;
    if (document.getElementById("msg-" + key)) { return; }
    var pending = document.getElementById("pending-" + frame.client_id);
    if (pending) { pending.parentNode.removeChild(pending); }
    var item = document.createElement("li");
    item.id = "msg-" + key;
    item.className = "msg role-" + frame.author.role + (frame.type === "whisper" ? " whisper" : "");
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = (frame.type === "whisper" ? "ささやき（相談者には見えません）· " : "") + frame.author.display + " · " + new Date(frame.created_at).toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
    var body = document.createElement("div");
    body.className = "body";
    body.innerHTML = frame.body_html; // escaped and linkified by the server's one sanitiser
    item.appendChild(who);
    item.appendChild(body);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function renderPending(entry) {
    if (document.getElementById("pending-" + entry.client_id)) { return; }
    var item = document.createElement("li");
    item.id = "pending-" + entry.client_id;
    item.className = "msg pending";
    item.textContent = entry.body;
    var note = document.createElement("span");
    note.className = "who";
    note.textContent = "送信待ち";
    item.insertBefore(note, item.firstChild);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  // One retry timer for the whole outbox, doubling up to 30 s while the server says it cannot store
  // (unavailable) or asks us to slow down (rate_limited); an ack resets it.
  function scheduleRetry() {
    if (retryTimer) { return; }
    retryDelay = Math.min(30000, retryDelay ? retryDelay * 2 : 3000);
    retryTimer = setTimeout(function () { retryTimer = null; flushOutbox(); }, retryDelay);
  }

  function flushOutbox() {
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    outbox.forEach(function (entry) {
      socket.send(JSON.stringify({ type: entry.whisper ? "whisper" : "send", client_id: entry.client_id, body: entry.body }));
    });
  }

  function notify(frame) {
    if (!notifyBox || !notifyBox.checked || document.visibilityState === "visible") { return; }
    if ("Notification" in window && Notification.permission === "granted") {
      new Notification("新しいメッセージ", { body: document.title, tag: "soudan-" + wsPath });
    }
  }

  function handle(frame) {
    switch (frame.type) {
      case "message":
        if (frame.seq > lastSeq) {
          if (frame.seq !== lastSeq + 1) { resume(); return; }
          lastSeq = frame.seq;
          render(frame);
          notify(frame);
          if (document.visibilityState === "visible") { socket.send(JSON.stringify({ type: "read", seq: lastSeq })); }
        }
        break;
      case "whisper":
        if (frame.seq > lastWhisper) { lastWhisper = frame.seq; render(frame); }
        break;
      case "ack":
        retryDelay = 0;
        outbox = outbox.filter(function (e) { return e.client_id !== frame.client_id; });
        persist();
        break;
      case "typing":
        typing.textContent = "入力中…";
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
        break;
      case "read":
        var mark = document.getElementById("chat-read");
        if (mark) { mark.textContent = "既読 #" + frame.seq; }
        break;
      case "presence":
        online[frame.role] = frame.state === "online";
        presence.textContent = Object.keys(online).filter(function (r) { return online[r]; })
          .map(function (r) { return ({ worker: "相談者", peer: "ピアサポーター", expert: "専門職", supervisor: "SV" })[r] || r; })
          .join("・") + (Object.keys(online).some(function (r) { return online[r]; }) ? " が参加中" : "");
        break;
      case "status":
        setState(frame.change === "handover" ? "担当者が交代しました。これまでのやりとりは新しい担当者に引き継がれています。"
          : "状態が変わりました（" + (STATUS[frame.status] || frame.status) + "）", "");
        var statusBox = document.getElementById("consultation-status");
        if (statusBox && STATUS[frame.status]) { statusBox.textContent = STATUS[frame.status]; }
        break;
      case "error":
        if (frame.code === "rate_limited" || frame.code === "unavailable") { scheduleRetry(); }
        else if (frame.client_id) {
          outbox = outbox.filter(function (e) { return e.client_id !== frame.client_id; });
          persist();
          var pending = document.getElementById("pending-" + frame.client_id);
          if (pending) { pending.className += " failed"; }
        }
        setState(frame.detail, "error");
        break;
    }
  }

  function resume() {
    socket.send(JSON.stringify({ type: "resume", after_seq: lastSeq, after_whisper_seq: lastWhisper }));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + wsPath);
    setState("接続中…", "");
    socket.onopen = function () {
      openedAt = Date.now();
      setState("接続しました", "ok");
      resume();
      flushOutbox();
    };
    socket.onmessage = function (event) {
      try { handle(JSON.parse(event.data)); } catch (e) { /* ignore a malformed frame */ }
    };
    socket.onclose = function (event) {
      online = {};
      presence.textContent = "";
      if (event.code === 4403 || event.code === 4401) {
        setState(event.code === 4401 ? "ログインし直してください。" : "この相談には参加できません。", "error");
        return;
      }
      // Back off again unless the socket had lived a while: a server that accepts and closes at once
      // (4503: the database is unreachable) must not be asked again every second by every tab.
      if (openedAt && Date.now() - openedAt > 10000) { attempt = 0; }
      openedAt = 0;
      attempt = event.code === 4503 ? Math.max(attempt + 1, 3) : attempt + 1;
      var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      setState("オフラインです。" + Math.round(delay / 1000) + "秒後に再接続します（入力した内容は保存されます）", "offline");
      setTimeout(connect, delay);
    };
  }

  function queue(body, whisper) {
    var entry = { client_id: uuid(), body: body, whisper: !!whisper };
    outbox.push(entry);
    persist();
    renderPending(entry);
    flushOutbox();
  }

  function checkIdentifiers(text, done) {
    if (!checkUrl) { done([]); return; }
    var request = new XMLHttpRequest();
    request.open("POST", checkUrl);
    request.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    request.setRequestHeader("X-CSRFToken", csrf);
    request.onload = function () {
      try { done(request.status === 200 ? JSON.parse(request.responseText).found : []); } catch (e) { done([]); }
    };
    request.onerror = function () { done([]); };
    request.send("text=" + encodeURIComponent(text));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) { return; }
    var whisper = canWhisper && document.getElementById("chat-whisper") && document.getElementById("chat-whisper").checked;
    if (confirmedText === body) {
      warning.hidden = true;
      confirmedText = null;
      queue(body, whisper);
      input.value = "";
      return;
    }
    checkIdentifiers(body, function (found) {
      if (found.length) {
        warning.textContent = "個人が特定できる情報が含まれている可能性があります（" +
          found.map(function (f) { return f.label_name; }).join("、") + "）。確認して、このまま送る場合はもう一度「送信」を押してください。";
        warning.hidden = false;
        confirmedText = body;
        return;
      }
      queue(body, whisper);
      input.value = "";
    });
  });

  input.addEventListener("input", function () {
    var now = Date.now();
    if (socket && socket.readyState === WebSocket.OPEN && now - lastTypingSent > 2500) {
      lastTypingSent = now;
      socket.send(JSON.stringify({ type: "typing" }));
    }
  });

  if (notifyBox) {
    notifyBox.addEventListener("change", function () {
      if (notifyBox.checked && "Notification" in window && Notification.permission === "default") {
        Notification.requestPermission();
      }
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && socket && socket.readyState === WebSocket.OPEN && lastSeq) {
      socket.send(JSON.stringify({ type: "read", seq: lastSeq }));
    }
  });
  outbox.forEach(renderPending);
  connect();
}());
