// Fills the unread badges of the consultation list (counts only; refreshed every 30 seconds).
(function () {
  "use strict";
  var table = document.querySelector("[data-unread-url]");
  if (!table) { return; }
  function refresh() {
    var request = new XMLHttpRequest();
    request.open("GET", table.getAttribute("data-unread-url"));
    request.onload = function () {
      if (request.status !== 200) { return; }
      var unread = JSON.parse(request.responseText).unread || {};
      table.querySelectorAll("[data-unread-for]").forEach(function (badge) {
        var count = unread[badge.getAttribute("data-unread-for")] || 0;
        badge.textContent = count ? "未読 " + count : "";
        badge.hidden = !count;
      });
    };
    request.send();
  }
  refresh();
  setInterval(refresh, 30000);
}());
