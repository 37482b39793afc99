// Job page: live state over a websocket (reconnects), then the result chart (uPlot).
(function () {
  "use strict";
  const root = document.getElementById("job");
  const jobId = root.dataset.jobId;
  let chartLoaded = false;
  // A job that ends while the page is open: its messages (e.g. which demands the optimiser
  // could not meet) are rendered by the server, so fetch them once it has ended.
  const wasActive = ["queued", "dispatched", "running"].includes(
    document.getElementById("job-status").textContent.trim());
  let messagesLoaded = false;

  async function loadMessages() {
    const response = await fetch(location.pathname, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("job-messages");
    if (fresh) document.getElementById("job-messages").replaceWith(fresh);
  }

  function showState(state) {
    const status = document.getElementById("job-status");
    status.textContent = state.status;
    status.className = "status " + state.status;
    const percent = Math.round((state.progress || 0) * 100);
    document.getElementById("job-progress-bar").style.width = percent + "%";
    document.getElementById("job-progress-text").textContent = percent + " %";
    document.getElementById("job-message").textContent = state.progress_message || "";
    const error = document.getElementById("job-error");
    error.textContent = state.error || "";
    error.hidden = !state.error;
    if (state.attempts !== undefined) {
      document.getElementById("job-attempts").textContent = state.attempts;
    }
    const step = document.getElementById("job-step");
    step.querySelector("span").textContent = state.step || "";
    step.hidden = !state.step;
    const active = ["queued", "dispatched", "running"].includes(state.status);
    const cancelForm = document.getElementById("cancel-form");
    if (cancelForm) cancelForm.hidden = !active;
    showTiming(state);
    if (state.history) showHistory(state.history);
    if (state.results_deleted !== undefined) {
      const deleted = document.getElementById("job-results-deleted");
      deleted.textContent = state.results_deleted;
      deleted.hidden = !state.results_deleted;
      if (state.results_deleted) {
        document.getElementById("results").hidden = true;
        const deleteForm = document.getElementById("delete-form");
        if (deleteForm) deleteForm.hidden = true;
        return;
      }
    }
    if (!active && !messagesLoaded) {
      messagesLoaded = true;
      if (wasActive) loadMessages();
    }
    if (state.status === "succeeded" && !chartLoaded) {
      chartLoaded = true;
      document.getElementById("results").hidden = false;
      loadSeries();
    }
  }

  // Elapsed time (in the queue, then running), ticking between updates; the queue position.
  const timing = document.getElementById("job-timing");
  function showTiming(state) {
    if (state.created_at !== undefined) {
      timing.dataset.created = state.created_at || "";
      timing.dataset.started = state.started_at || "";
      timing.dataset.finished = state.finished_at || "";
    }
    const queue = document.getElementById("job-queue");
    if (state.queue !== undefined) {
      queue.hidden = !state.queue;
      if (state.queue) {
        const ahead = state.queue.ahead;
        const starts = state.queue.starts_in_s === null ? "no live worker offers this workflow yet"
          : `starts in ~${span(state.queue.starts_in_s)}`;
        queue.textContent = `· ${ahead} job${ahead === 1 ? "" : "s"} ahead in the queue; ${starts}`;
      }
    }
    tick();
  }

  function span(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 90) return `${seconds} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  function tick() {
    const created = Date.parse(timing.dataset.created);
    const started = Date.parse(timing.dataset.started);
    const finished = Date.parse(timing.dataset.finished);
    const now = Date.now();
    const elapsed = document.getElementById("job-elapsed");
    if (isNaN(created)) return;
    if (!isNaN(started)) {
      elapsed.textContent = `Ran ${span(((isNaN(finished) ? now : finished) - started) / 1000)}`
        + (isNaN(finished) ? " so far" : "");
    } else if (isNaN(finished)) {
      elapsed.textContent = `Waiting ${span((now - created) / 1000)} so far`;
    } else {
      elapsed.textContent = "Never started";
    }
  }
  setInterval(tick, 1000);

  function showHistory(history) {
    const body = document.querySelector("#job-history tbody");
    body.innerHTML = "";
    history.forEach((e) => {
      const row = body.insertRow();
      const when = new Date(e.at);
      [when.toISOString().slice(0, 19).replace("T", " "), e.kind, e.worker_id, e.detail].forEach((text, i) => {
        const cell = row.insertCell();
        cell.textContent = text;
        if (i === 2) cell.className = "muted";
      });
    });
  }

  function connect(delay) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/jobs/${jobId}/`);
    socket.onmessage = (event) => showState(JSON.parse(event.data));
    socket.onopen = () => { delay = 1000; };
    socket.onclose = (event) => {
      if (event.code === 4404) return;
      if (event.code === 4403) {
        document.getElementById("job-message").textContent = "Your access to this job was revoked.";
        return;
      }
      setTimeout(() => connect(Math.min(delay * 2, 15000)), delay);
    };
  }

  let series = [];
  let chart = null;

  async function loadSeries() {
    const response = await fetch(`/api/jobs/${jobId}/series/`, { credentials: "same-origin" });
    series = await response.json();
    const assets = new Map();
    series.forEach((s) => assets.set(s.asset_id, `${s.asset_name || s.asset_id} (${s.asset_class})`));
    const assetSelect = document.getElementById("asset-select");
    assetSelect.innerHTML = "";
    [...assets.entries()].sort((a, b) => a[1].localeCompare(b[1])).forEach(([id, label]) => {
      assetSelect.add(new Option(label, id));
    });
    assetSelect.onchange = fillFields;
    document.getElementById("field-select").onchange = drawSelected;
    fillFields();
  }

  function fillFields() {
    const assetId = document.getElementById("asset-select").value;
    const fieldSelect = document.getElementById("field-select");
    fieldSelect.innerHTML = "";
    // Asset-level quantities (heat supplied, demanded, lost) before the per-port ones.
    const portLevel = (s) => (s.field.includes(".") ? 1 : 0);
    series.filter((s) => s.asset_id === assetId)
      .sort((a, b) => portLevel(a) - portLevel(b) || a.field.localeCompare(b.field))
      .forEach((s) => {
      fieldSelect.add(new Option(`${s.field} [${s.unit}]`, s.field));
    });
    drawSelected();
  }

  async function drawSelected() {
    const assetId = document.getElementById("asset-select").value;
    const field = document.getElementById("field-select").value;
    if (!assetId || !field) return;
    const params = new URLSearchParams({ asset_id: assetId, field: field });
    const response = await fetch(`/api/jobs/${jobId}/series/data/?${params}`, { credentials: "same-origin" });
    const data = await response.json();
    const xs = data.points.map((p) => p[0]);
    const ys = data.points.map((p) => p[1]);
    const container = document.getElementById("chart");
    const opts = {
      width: Math.max(container.clientWidth, 400),
      height: 360,
      series: [{}, { label: `${data.field} [${data.unit}]`, stroke: "#0b6e4f", width: 1 }],
      axes: [{}, { label: data.unit }],
    };
    if (chart) chart.destroy();
    chart = new uPlot(opts, [xs, ys], container);
    container.dataset.points = String(xs.length);
    document.getElementById("chart-info").textContent =
      `${data.asset_name} · ${data.field} · ${xs.length} points`;
  }

  connect(1000);
  if (document.getElementById("job-status").textContent.trim() === "succeeded") {
    showState({ status: "succeeded", progress: 1 });
  }
})();
