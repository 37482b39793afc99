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
    const response = await fetch(location.pathname + location.search, { credentials: "same-origin" });
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

  // -- results: the heat balance and one asset's quantities, each with a range chooser ----------

  const C = window.DTCharts;
  const MAX_PRODUCERS = 8;
  let series = [];             // every series of the job, with its catalogue entry (quantity)
  const charts = {};           // "balance" / "asset": {main, overview} (window.jobCharts for tests)
  window.jobCharts = charts;

  // Staff answering a ticket opened this page with ?ticket=N: the API reads the job the same way.
  const ticket = new URLSearchParams(location.search).get("ticket");

  async function getJson(url) {
    if (ticket) url += `${url.includes("?") ? "&" : "?"}ticket=${encodeURIComponent(ticket)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  function points(assetId, field) {
    const params = new URLSearchParams({ asset_id: assetId, field: field });
    return getJson(`/api/jobs/${jobId}/series/data/?${params}`);
  }

  async function loadSeries() {
    try {
      series = await getJson(`/api/jobs/${jobId}/series/`);
    } catch (error) {
      document.getElementById("chart-info").textContent = error.message;
      return;
    }
    drawBalance().catch((error) => { document.getElementById("balance-info").textContent = error.message; });
    fillAssets();
  }

  // A chart of several series (SI values on the time axis xs), converted to one display unit,
  // each with the sign its field is read with (charts.js shownSign). stacked: each series is
  // drawn on top of the ones before it (heat of the producers), lines (not stacked) are drawn as
  // they are (the total demand).
  function draw(name, container, overviewBox, xs, stacked, lines) {
    const all = stacked.concat(lines);
    const siUnit = all.length ? all[0].siUnit : "";
    let top = C.magnitudeOf(lines.map((l) => l.values));
    if (stacked.length) {
      const sums = xs.map((_, i) => stacked.reduce((sum, s) => sum + (s.values[i] || 0), 0));
      top = Math.max(top, C.magnitudeOf([sums]));
    }
    if (!stacked.length) top = C.magnitudeOf(all.map((l) => l.values));
    const scale = C.scaleFor(siUnit, top);
    const data = [xs];
    const opts = {
      width: Math.max(container.clientWidth, 300),
      height: 340,
      tzDate: C.tzDate,
      plugins: [C.tooltipPlugin()],
      legend: { live: false },
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: { range: stacked.length ? C.stackedRange : C.yRange } },
      series: [{}],
      bands: [],
      axes: [C.xAxis(), { label: scale.unit, size: 64 }],
      hooks: { setScale: [C.noteRange(container)] },
    };
    let running = xs.map(() => 0);
    stacked.forEach((s, k) => {
      const own = C.signed(scale, s.field);
      running = running.map((sum, i) => sum + own.sign * (s.values[i] || 0));  // stacked as shown
      data.push(C.convert(running, scale));
      opts.series.push({
        label: s.label, stroke: C.colour(k), width: 1, fill: C.colour(k, 0.45),
        dt: { raw: s.values, siUnit, scale: own },
      });
      if (k) opts.bands.push({ series: [k + 1, k], fill: C.colour(k, 0.45) });
    });
    lines.forEach((l, j) => {
      const k = stacked.length + j;
      const own = C.signed(scale, l.field);
      data.push(C.convert(l.values, own));
      opts.series.push({
        label: l.label, stroke: stacked.length ? "#000000" : C.colour(k), width: stacked.length ? 2 : 1.5,
        dash: stacked.length ? [6, 4] : undefined, dt: { raw: l.values, siUnit, scale: own },
      });
    });
    if (charts[name]) { charts[name].main.destroy(); charts[name].overview.destroy(); }
    const main = new uPlot(opts, data, container);
    const window_ = C.defaultWindow(xs);
    if (window_) main.setScale("x", { min: window_[0], max: window_[1] });
    else C.noteRange(container)(main, "x");
    const overviewValues = stacked.length ? C.convert(running, scale) : data[1];
    const overview = C.rangeSelector(main, overviewBox, xs, overviewValues, C.colour(0));
    charts[name] = { main, overview };
    container.dataset.points = String(xs.length);
    container.dataset.series = String(all.length);
    container.dataset.unit = scale.unit;
    return main;
  }

  // Values of one series placed on the time axis xs (null where it has none).
  function onAxis(xs, pts) {
    const at = new Map(pts.map((p) => [p[0], p[1]]));
    return xs.map((t) => (at.has(t) ? at.get(t) : null));
  }

  // A heat pump between two networks (four ports: no heat_supplied of its own) delivers heat a
  // producer of its primary network made plus the electricity it used: stacked with the
  // producers, it adds only that electricity. A two-port one supplies heat like any producer.
  function addsHeat(s) {
    return s.field === "electricity_consumption" && s.asset_class === "HeatPump"
      && !series.some((other) => other.asset_id === s.asset_id && other.field === "heat_supplied");
  }

  async function drawBalance() {
    const section = document.getElementById("balance");
    const producers = series.filter((s) => s.field === "heat_supplied" || addsHeat(s));
    if (!producers.length) { section.hidden = true; return; }
    section.hidden = false;
    const shown = producers.slice(0, MAX_PRODUCERS);
    const hasDemand = series.some((s) => s.field === "heat_demand");
    const [answers, demand] = await Promise.all([
      Promise.all(shown.map((p) => points(p.asset_id, p.field))),
      hasDemand ? getJson(`/api/jobs/${jobId}/series/total/?field=heat_demand`) : null,
    ]);
    const xs = [...new Set(answers.flatMap((a) => a.points.map((p) => p[0])))].sort((a, b) => a - b);
    const stacked = answers.map((a, i) => ({
      label: `${shown[i].asset_name || shown[i].asset_id}${addsHeat(shown[i]) ? " (its electricity)" : ""}`,
      field: shown[i].field,
      siUnit: a.quantity.si_unit, values: onAxis(xs, a.points),
    }));
    const lines = demand ? [{
      label: `Total heat demand (${demand.assets} consumer${demand.assets === 1 ? "" : "s"})`,
      field: "heat_demand", siUnit: demand.quantity.si_unit, values: onAxis(xs, demand.points),
    }] : [];
    draw("balance", document.getElementById("balance-chart"), document.getElementById("balance-range"), xs, stacked, lines);
    document.getElementById("balance-info").textContent = producers.length > MAX_PRODUCERS
      ? `The ${MAX_PRODUCERS} first of ${producers.length} producers are stacked.` : "";
  }

  // Producers first, then consumers, then the rest; each by its ESDL name.
  function rank(s) {
    const roles = C.catalogue.roles || { producers: [], consumers: [] };
    return roles.producers.includes(s.asset_class) ? 0 : roles.consumers.includes(s.asset_class) ? 1 : 2;
  }

  function fillAssets() {
    const assets = new Map();
    series.forEach((s) => {
      if (!assets.has(s.asset_id)) assets.set(s.asset_id, s);
    });
    const assetSelect = document.getElementById("asset-select");
    assetSelect.innerHTML = "";
    [...assets.values()]
      .sort((a, b) => rank(a) - rank(b) || (a.asset_name || a.asset_id).localeCompare(b.asset_name || b.asset_id))
      .forEach((s) => assetSelect.add(new Option(`${s.asset_name || s.asset_id} · ${s.asset_class_name}`, s.asset_id)));
    assetSelect.onchange = fillGroups;
    document.getElementById("field-select").onchange = drawAssetChart;
    fillGroups();
  }

  // The quantities of one asset, grouped: a group of one unit (all its temperatures, ...) is drawn
  // on one chart. Temperature first when the asset has one (supply and return together).
  function fillGroups() {
    const assetId = document.getElementById("asset-select").value;
    const fieldSelect = document.getElementById("field-select");
    const current = fieldSelect.value;
    fieldSelect.innerHTML = "";
    const groups = new Map();
    series.filter((s) => s.asset_id === assetId).forEach((s) => {
      const key = `${s.quantity.group}|${s.quantity.si_unit}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(s);
    });
    const order = C.catalogue.groups || [];
    [...groups.entries()]
      .sort((a, b) => (a[0].startsWith("temperature") ? -1 : 0) - (b[0].startsWith("temperature") ? -1 : 0)
        || order.indexOf(a[1][0].quantity.group) - order.indexOf(b[1][0].quantity.group))
      .forEach(([key, members]) => {
        const names = members.map((m) => m.quantity.name).join(", ");
        fieldSelect.add(new Option(names, key, false, key === current));
      });
    drawAssetChart();
  }

  // The network map's "chart" button: that asset, with the group of quantities holding the field.
  document.addEventListener("network:show-series", (event) => {
    const { asset_id: assetId, field } = event.detail;
    const shown = series.find((s) => s.asset_id === assetId && s.field === field);
    if (!shown) return;
    event.preventDefault();
    const assetSelect = document.getElementById("asset-select");
    assetSelect.value = assetId;
    fillGroups();
    document.getElementById("field-select").value = `${shown.quantity.group}|${shown.quantity.si_unit}`;
    drawAssetChart();
    document.getElementById("chart").scrollIntoView({ behavior: "smooth", block: "center" });
  });

  let assetRequest = 0;  // number of the newest asset chart asked for; older answers are dropped

  function drawAssetChart() {
    drawSelected().catch((error) => { document.getElementById("chart-info").textContent = error.message; });
  }

  async function drawSelected() {
    const assetId = document.getElementById("asset-select").value;
    const key = document.getElementById("field-select").value;
    if (!assetId || !key) return;
    const members = series.filter((s) => s.asset_id === assetId && `${s.quantity.group}|${s.quantity.si_unit}` === key);
    const mine = ++assetRequest;
    const answers = await Promise.all(members.map((m) => points(m.asset_id, m.field)));
    if (mine !== assetRequest) return;  // another asset was chosen meanwhile
    const xs = [...new Set(answers.flatMap((a) => a.points.map((p) => p[0])))].sort((a, b) => a - b);
    const lines = answers.map((a, i) => ({
      label: a.quantity.name, field: members[i].field, siUnit: a.quantity.si_unit, values: onAxis(xs, a.points),
    }));
    const container = document.getElementById("chart");
    draw("asset", container, document.getElementById("chart-range"), xs, [], lines);
    const first = members[0];
    document.getElementById("chart-info").textContent =
      `${first.asset_name || first.asset_id} (${first.asset_class_name}) · ${lines.map((l) => l.label).join(", ")} · ${xs.length} points`;
  }

  window.addEventListener("resize", () => {
    Object.entries(charts).forEach(([name, c]) => {
      const box = document.getElementById(name === "balance" ? "balance-chart" : "chart");
      c.main.setSize({ width: Math.max(box.clientWidth, 300), height: 340 });
      c.overview.setSize({ width: Math.max(box.clientWidth, 300), height: 90 });
    });
  });

  connect(1000);
  if (document.getElementById("job-status").textContent.trim() === "succeeded") {
    showState({ status: "succeeded", progress: 1 });
  }
})();
