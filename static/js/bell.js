// The bell in the page header: its unread count, live over a websocket (reconnects).
(function () {
  "use strict";
  const count = document.getElementById("bell-count");
  if (!count) return;

  function show(message) {
    if (message.unread === undefined) return;
    count.textContent = message.unread;
    count.hidden = message.unread === 0;
    if (message.latest) document.getElementById("bell").title = message.latest.text;
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/notifications/`);
    socket.onmessage = (event) => show(JSON.parse(event.data));
    socket.onopen = () => { delay = 1000; };
    socket.onclose = (event) => {
      if (event.code === 4401) return;
      setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    };
  }
  connect(1000);
})();
