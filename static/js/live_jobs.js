// Live state of the jobs listed on a page (dashboard, jobs list, model page): each row marked
// data-live-job="<uuid>" listens on the job's own progress websocket (the one the job page
// uses, which checks access per job) until the job ends. A page holds few active jobs; beyond
// MAX_SOCKETS the rows keep the state they were rendered with.
(() => {
  const MAX_SOCKETS = 20;
  const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
  const scheme = location.protocol === "https:" ? "wss" : "ws";

  function show(row, state) {
    const badge = row.querySelector("[data-live=status]");
    if (badge) {
      badge.textContent = state.status;
      badge.className = `status ${state.status}`;
    }
    const percent = Math.round((state.progress || 0) * 100);
    const bar = row.querySelector("[data-live=bar]");
    if (bar) bar.style.width = `${percent}%`;
    const text = row.querySelector("[data-live=progress]");
    if (text) text.textContent = TERMINAL.has(state.status) ? "" : `${percent} %`;
    const message = row.querySelector("[data-live=message]");
    if (message) message.textContent = state.progress_message || "";
    row.dataset.status = state.status;
  }

  function follow(row, delay) {
    const socket = new WebSocket(`${scheme}://${location.host}/ws/jobs/${row.dataset.liveJob}/`);
    socket.onmessage = (event) => {
      const state = JSON.parse(event.data);
      show(row, state);
      if (TERMINAL.has(state.status)) socket.close(1000);
    };
    socket.onopen = () => {
      delay = 1000;
      row.dataset.following = "true";
    };
    socket.onclose = (event) => {
      delete row.dataset.following;
      if (event.code === 1000 || event.code === 4403 || event.code === 4404) return;
      setTimeout(() => follow(row, Math.min(delay * 2, 15000)), delay);
    };
  }

  [...document.querySelectorAll("[data-live-job]")]
    .filter((row) => !TERMINAL.has(row.dataset.status))
    .slice(0, MAX_SOCKETS)
    .forEach((row) => follow(row, 1000));
})();
