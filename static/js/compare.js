// Comparison page: one series of several variations in one uPlot chart, and a KPI table.
//
// The server sends at most about two values per pixel: a range holding more points comes back
// reduced to min/max per time bucket ("reduced": true, x = bucket starts), drawn as a line through
// (bucket, min) and (bucket, max). Zooming (drag across the chart) or panning asks the server for
// the new range, which at some point comes back at full resolution.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("compare-config").textContent);
  const jobs = config.jobs;
  const container = document.getElementById("compare-chart");
  const assetSelect = document.getElementById("asset-select");
  const assetFilter = document.getElementById("asset-filter");
  const fieldSelect = document.getElementById("field-select");
  const info = document.getElementById("chart-info");
  const csvLink = document.getElementById("csv-link");
  const C = window.DTCharts;  // palette, units, dates, tooltip (static/js/charts.js)

  let options = [];          // assets with their fields, from /api/compare/options/
  let chart = null;          // the uPlot instance (window.compareChart for tests)
  let chartKey = "";         // asset|field the chart shows
  let loaded = null;         // the last response: {x, reduced, start, end, series...}
  let fullRange = null;      // [start, end] of the whole stored period
  let request = 0;           // number of the newest request; older answers are dropped
  const hidden = new Set();  // job ids switched off in the legend
  let zoomTimer = null;
  let scale = null;          // the display unit of the chart (kW, °C...), fixed per asset|field

  function jobParams() {
    const params = new URLSearchParams();
    jobs.forEach((j) => params.append("jobs", j.id));
    return params;
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.statusText);
    return body;
  }

  // -- asset and quantity ------------------------------------------------------------------------

  async function loadOptions() {
    try {
      options = await getJson(`/api/compare/options/?${jobParams()}`);
    } catch (error) {
      info.textContent = error.message;
      return;
    }
    fillAssets();
  }

  function fillAssets() {
    const needle = assetFilter.value.trim().toLowerCase();
    const current = assetSelect.value;
    assetSelect.innerHTML = "";
    let shown = 0;
    for (const a of options) {
      const label = `${a.asset_name || a.asset_id} (${a.asset_class_name || a.asset_class})` +
        (a.jobs < jobs.length ? ` – in ${a.jobs} of ${jobs.length}` : "");
      if (needle && !`${label} ${a.asset_id}`.toLowerCase().includes(needle)) continue;
      assetSelect.add(new Option(label, a.asset_id, false, a.asset_id === current));
      if (++shown >= 2000) break;  // a filter narrows big networks down
    }
    fillFields();
  }

  function fillFields() {
    const asset = options.find((a) => a.asset_id === assetSelect.value);
    const current = fieldSelect.value;
    fieldSelect.innerHTML = "";
    (asset ? asset.fields : []).forEach((f) => {
      const option = new Option(f.name || f.field, f.field, false, f.field === current);
      option.title = f.description || "";
      fieldSelect.add(option);
    });
    if (`${assetSelect.value}|${fieldSelect.value}` === chartKey) return;
    fullRange = null;
    fetchRange(null);
  }

  // -- the chart ---------------------------------------------------------------------------------

  async function fetchRange(range) {
    const assetId = assetSelect.value;
    const field = fieldSelect.value;
    if (!assetId || !field) return;
    const params = jobParams();
    params.set("asset_id", assetId);
    params.set("field", field);
    params.set("width", String(Math.max(100, Math.round(container.clientWidth || 800))));
    if (range) {
      params.set("start", String(Math.floor(range[0])));
      params.set("end", String(Math.ceil(range[1])));
    }
    const mine = ++request;
    info.textContent = "Loading…";
    let data;
    try {
      data = await getJson(`/api/compare/series/?${params}`);
    } catch (error) {
      if (mine === request) info.textContent = error.message;
      return;
    }
    if (mine !== request) return;
    container.dataset.fetches = String(Number(container.dataset.fetches) + 1);
    if (!range && data.start !== null) fullRange = [data.start, data.end];
    params.set("format", "csv");
    csvLink.href = `/api/compare/series/?${params}`;
    draw(data, `${assetId}|${field}`);
  }

  function toPlotData(data) {
    if (!data.reduced) return [data.x, ...data.series.map((s) => s.values || data.x.map(() => null))];
    // Two points per bucket, both at the bucket start: the line runs down to the minimum and up
    // to the maximum, which is how the raw points would look at this width.
    const xs = new Array(data.x.length * 2);
    data.x.forEach((t, i) => { xs[2 * i] = t; xs[2 * i + 1] = t; });
    const ys = data.series.map((s) => {
      const out = new Array(xs.length).fill(null);
      if (s.min && s.max) {
        for (let i = 0; i < data.x.length; i++) { out[2 * i] = s.min[i]; out[2 * i + 1] = s.max[i]; }
      }
      return out;
    });
    return [xs, ...ys];
  }

  // Values come in SI; the chart draws them in the display unit the catalogue gives for their
  // size, chosen once per asset and quantity so that zooming does not switch units.
  function draw(data, key) {
    loaded = data;
    const siData = toPlotData(data);
    const fresh = !chart || key !== chartKey;
    if (fresh) scale = C.scaleFor(data.quantity.si_unit, C.magnitudeOf(siData.slice(1)), data.quantity.key);
    const plotData = [siData[0], ...siData.slice(1).map((ys) => C.convert(ys, scale))];
    if (fresh) {
      if (chart) chart.destroy();
      chartKey = key;
      chart = new uPlot(chartOptions(data), plotData, container);
      window.compareChart = chart;
    } else {
      chart.setData(plotData);
    }
    chart.series.slice(1).forEach((s, i) => {
      s.dt = { raw: siData[i + 1], siUnit: data.quantity.si_unit, scale, minMax: data.reduced };
    });
    container.dataset.unit = scale.unit;
    container.dataset.points = String(data.x.length);
    container.dataset.reduced = String(data.reduced);
    container.dataset.start = String(data.start);
    container.dataset.end = String(data.end);
    const hours = data.bucket_s ? (data.bucket_s / 3600).toPrecision(3) : "";
    info.textContent = `${data.series[0] ? data.series.find((s) => !s.missing)?.asset_name || data.asset_id : ""}` +
      ` · ${data.quantity.name} [${scale.unit}] · ` +
      (data.reduced ? `${data.x.length} buckets of ${hours} h (min and max of each)`
        : `${data.x.length} points, full resolution`);
  }

  // Reduced data is drawn as a band from each bucket's minimum to its maximum, filled
  // translucent so that the variations' bands show through each other; full resolution as lines.
  const linear = uPlot.paths.linear();
  function minMaxBand(u, seriesIdx, idx0, idx1) {
    if (!loaded || !loaded.reduced) {
      const line = linear(u, seriesIdx, idx0, idx1);
      line.fill = null;  // the fill is for bands: full-resolution lines are not areas
      return line;
    }
    const xs = u.data[0];
    const ys = u.data[seriesIdx];
    const key = u.series[seriesIdx].scale;
    const path = new Path2D();
    let run = [];  // [x px, min px, max px] of consecutive buckets with values
    const flush = () => {
      if (!run.length) return;
      path.moveTo(run[0][0], run[0][2]);
      run.forEach(([x, , high]) => path.lineTo(x, high));
      for (let i = run.length - 1; i >= 0; i--) path.lineTo(run[i][0], run[i][1]);
      path.closePath();
      run = [];
    };
    for (let i = idx0 - (idx0 % 2); i + 1 <= idx1; i += 2) {
      if (ys[i] === null || ys[i + 1] === null) { flush(); continue; }
      run.push([u.valToPos(xs[i], "x", true), u.valToPos(ys[i], key, true), u.valToPos(ys[i + 1], key, true)]);
    }
    flush();
    return { stroke: path, fill: path };
  }

  function chartOptions(data) {
    return {
      width: Math.max(container.clientWidth, 300),
      height: 380,
      tzDate: C.tzDate,
      plugins: [C.tooltipPlugin()],
      legend: { live: false },
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true }, y: { range: C.yRange } },
      series: [
        {},
        ...data.series.map((s, i) => ({
          label: s.missing ? `${s.label} (no such series)` : s.label,
          stroke: C.colour(i),
          fill: C.colour(i, 0.25),
          paths: minMaxBand,
          width: 1,
          show: !hidden.has(s.job),
          spanGaps: false,
        })),
      ],
      axes: [C.xAxis(), { label: scale.unit, size: 70 }],
      hooks: {
        setScale: [(u, scaleKey) => { if (scaleKey === "x") onZoom(u); }],
        setSeries: [(u, index, opts) => {
          if (!index || !opts || opts.show === undefined) return;
          const job = loaded.series[index - 1].job;
          if (opts.show) hidden.delete(job); else hidden.add(job);
        }],
      },
    };
  }

  // A new x range from a drag (or a button): fetch it unless the loaded data already has every
  // point of it. Ranges that equal the loaded data's own extent come from setData: ignore them.
  function onZoom(u) {
    const min = u.scales.x.min;
    const max = u.scales.x.max;
    const xs = u.data[0];
    if (!xs.length || (min <= xs[0] && max >= xs[xs.length - 1])) return;
    if (!loaded.reduced && loaded.start <= min && loaded.end >= max) return;
    clearTimeout(zoomTimer);
    zoomTimer = setTimeout(() => fetchRange([min, max]), 150);
  }

  function currentRange() {
    if (chart && chart.scales.x.min !== undefined) return [chart.scales.x.min, chart.scales.x.max];
    return fullRange;
  }

  function clamp(range) {
    if (!fullRange) return range;
    const span = Math.min(range[1] - range[0], fullRange[1] - fullRange[0]);
    let start = Math.max(range[0], fullRange[0]);
    start = Math.min(start, fullRange[1] - span);
    return [start, start + span];
  }

  function pan(direction) {
    const range = currentRange();
    if (!range) return;
    const shift = (range[1] - range[0]) / 2 * direction;
    fetchRange(clamp([range[0] + shift, range[1] + shift]));
  }

  function zoomOut() {
    const range = currentRange();
    if (!range) return;
    const half = range[1] - range[0];
    const wide = clamp([range[0] - half / 2, range[1] + half / 2]);
    if (fullRange && wide[0] <= fullRange[0] && wide[1] >= fullRange[1]) fetchRange(null);
    else fetchRange(wide);
  }

  // -- KPIs --------------------------------------------------------------------------------------

  let kpiTable = null;

  function formatNumber(value) {
    if (value === null || value === undefined) return "–";
    const abs = Math.abs(value);
    return value.toLocaleString("en", { maximumFractionDigits: abs >= 100 ? 0 : abs >= 1 ? 2 : 4 });
  }

  // One table of KPI rows: a row per KPI, a column per variation, differences to the baseline;
  // the best value of a decision KPI is marked.
  function kpiTableOf(rows, id) {
    const table = document.createElement("table");
    table.id = id;
    const head = table.insertRow();
    ["KPI", "Unit"].concat(kpiTable.variations.map((v) => v.label)).forEach((text, i) => {
      const th = document.createElement("th");
      th.textContent = text;
      if (i > 1 && kpiTable.variations[i - 2].job === kpiTable.baseline) th.textContent += " (baseline)";
      head.appendChild(th);
    });
    rows.forEach((row) => {
      const tr = table.insertRow();
      tr.dataset.kpi = row.key;
      tr.insertCell().textContent = row.name;
      // A row's values in one unit their size calls for (MWh -> GWh...); percentages unchanged.
      const unit = C.readableScale(row.unit, row.values);
      tr.insertCell().textContent = unit.unit;
      row.values.forEach((value, i) => {
        const td = tr.insertCell();
        td.textContent = formatNumber(unit.convert(value));
        if (row.decision && row.best.includes(i)) td.classList.add("best");
        const diff = unit.convertDifference(row.difference[i]);
        if (kpiTable.variations[i].job !== kpiTable.baseline && diff !== null) {
          const span = document.createElement("span");
          const pct = row.difference_percent[i];
          // Rounding leaves tiny differences where the values are equal: show those as none.
          const same = formatNumber(Math.abs(diff)) === "0" && (pct === null || Math.abs(pct) < 0.05);
          span.className = "kpi-diff muted " + (same ? "" : diff > 0 ? "up" : "down");
          span.textContent = same ? "±0" : `${diff > 0 ? "+" : ""}${formatNumber(diff)}` +
            (pct === null ? "" : ` (${pct > 0 ? "+" : ""}${pct.toFixed(1)} %)`);
          td.appendChild(span);
        }
      });
    });
    return table;
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function shown(value, unit) {
    if (value === null || value === undefined) return "(not set)";
    return typeof value === "number" ? C.readable(value, unit || "") : String(value);
  }

  async function loadDifferences() {
    const params = jobParams();
    params.set("baseline", document.getElementById("baseline-select").value);
    const wrap = document.getElementById("differences-wrap");
    let answer;
    try {
      answer = await getJson(`/api/compare/differences/?${params}`);
    } catch (error) {
      wrap.textContent = error.message;
      return;
    }
    const blocks = [];
    answer.variations.filter((v) => !v.baseline).forEach((v) => {
      const block = element("div", undefined, "variation-diff");
      block.dataset.job = v.job;
      block.appendChild(element("h3", v.label));
      const list = element("ul");
      const item = (text, cls) => list.appendChild(element("li", text, cls));
      v.added.forEach((a) => item(`Added ${a.asset_class} ${a.name}`, "added"));
      v.removed.forEach((a) => item(`Removed ${a.asset_class} ${a.name}`, "removed"));
      v.changed.forEach((c) => item(`${c.name}: ${c.attribute} ${shown(c.old, c.unit)} → ${shown(c.new, c.unit)}`, "changed"));
      if (v.more_changes) item(`… and ${v.more_changes} more changed attributes`);
      v.params.forEach((p) => item(`Parameter ${p.key}: ${shown(p.old)} → ${shown(p.new)}`, "param"));
      if (v.key_figures_changed) item(`Key figures: ${v.key_figures || "none"} (baseline: another version)`, "key-figures");
      if (v.error) item(v.error, "error");
      if (!list.children.length) item("Nothing differs in the model, the parameters or the key figures.", "muted");
      block.appendChild(list);
      blocks.push(block);
    });
    wrap.replaceChildren(...blocks);
    if (!blocks.length) wrap.innerHTML = '<p class="muted">Choose at least two variations.</p>';
  }

  async function loadKpis() {
    const params = jobParams();
    params.set("baseline", document.getElementById("baseline-select").value);
    const wrap = document.getElementById("kpi-table-wrap");
    try {
      kpiTable = await getJson(`/api/compare/kpis/?${params}`);
    } catch (error) {
      wrap.textContent = error.message;
      return;
    }
    const decisionRows = kpiTable.rows.filter((row) => row.decision);
    const decisionWrap = document.getElementById("decision-table-wrap");
    if (decisionRows.length) decisionWrap.replaceChildren(kpiTableOf(decisionRows, "decision-table"));
    else decisionWrap.innerHTML = '<p class="muted">These jobs have no costs (they ended before costing, or no key-figure version is the default).</p>';
    const table = kpiTableOf(kpiTable.rows, "kpi-table");
    if (!kpiTable.rows.length) {
      wrap.innerHTML = '<p class="muted">These jobs have no KPIs (no heat series to derive them from).</p>';
    } else {
      wrap.replaceChildren(table);
    }
    const kpiSelect = document.getElementById("kpi-select");
    const current = kpiSelect.value;
    kpiSelect.innerHTML = "";
    kpiTable.rows.forEach((row) => kpiSelect.add(new Option(`${row.name} [${row.unit}]`, row.key, false, row.key === current)));
    drawKpiBars();
  }

  function drawKpiBars() {
    const bars = document.getElementById("kpi-bars");
    bars.innerHTML = "";
    if (!kpiTable) return;
    const row = kpiTable.rows.find((r) => r.key === document.getElementById("kpi-select").value);
    if (!row) return;
    const top = Math.max(...row.values.map((v) => Math.abs(v || 0)), 1e-12);
    row.values.forEach((value, i) => {
      const tr = bars.insertRow();
      tr.insertCell().textContent = kpiTable.variations[i].label;
      tr.insertCell().textContent = C.readable(value, row.unit);
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = `${(100 * Math.abs(value || 0)) / top}%`;
      bar.style.background = C.colour(i);
      tr.insertCell().appendChild(bar);
    });
  }

  // -- wiring ------------------------------------------------------------------------------------

  assetFilter.addEventListener("input", fillAssets);
  assetSelect.addEventListener("change", fillFields);
  fieldSelect.addEventListener("change", () => { fullRange = null; fetchRange(null); });
  document.getElementById("pan-left").addEventListener("click", () => pan(-1));
  document.getElementById("pan-right").addEventListener("click", () => pan(1));
  document.getElementById("zoom-out").addEventListener("click", zoomOut);
  document.getElementById("zoom-reset").addEventListener("click", () => fetchRange(null));
  document.getElementById("baseline-select").addEventListener("change", () => { loadKpis(); loadDifferences(); });
  document.getElementById("kpi-select").addEventListener("change", drawKpiBars);
  window.addEventListener("resize", () => {
    if (chart) chart.setSize({ width: Math.max(container.clientWidth, 300), height: 380 });
  });
  window.compareFetchRange = fetchRange;  // for tests and the console

  loadOptions();
  loadKpis();
  loadDifferences();
})();
