// Network map (Leaflet): a model's assets and pipes, on a job page coloured by a chosen result.
// Data: the network API (GeoJSON, or schematic x/y), the job's values per asset, an asset's
// summary. No tile server is asked unless the operator configured one (DT_MAP_TILE_URL).
(function () {
  "use strict";
  const root = document.getElementById("network");
  if (!root || !window.L) return;
  const mapElement = document.getElementById("network-map");
  const panel = document.getElementById("network-asset");
  const tableBody = document.querySelector("#network-assets tbody");
  const valueHead = document.getElementById("network-value-head");
  const legend = document.getElementById("network-legend");
  const notes = document.getElementById("network-notes");
  const controls = document.getElementById("network-colour");
  const quantitySelect = document.getElementById("network-quantity");
  const aggregateSelect = document.getElementById("network-aggregate");
  const moment = document.getElementById("network-moment");
  const slider = document.getElementById("network-time");
  const sliderLabel = document.getElementById("network-time-label");
  const onJobPage = Boolean(root.dataset.valuesUrl);

  // Okabe-Ito colours per symbol group (distinct for colour-blind readers too).
  const CATEGORY_COLOURS = {
    producer: "#E69F00", consumer: "#0072B2", storage: "#009E73", conversion: "#CC79A7",
    joint: "#555555", other: "#999999", pipe: "#4d5b6b",
  };
  const CATEGORY_NAMES = {
    producer: "producer", consumer: "consumer", storage: "storage", conversion: "conversion",
    joint: "joint", other: "other asset", pipe: "pipe (width by DN)",
  };
  const SHAPES = {
    producer: '<path d="M10 2 L18 17 L2 17 Z"/>',
    consumer: '<path d="M3 9 L10 3 L17 9 L17 17 L3 17 Z"/>',
    storage: '<path d="M10 2 L17 6 L17 14 L10 18 L3 14 L3 6 Z"/>',
    conversion: '<path d="M10 2 L18 10 L10 18 L2 10 Z"/>',
    joint: '<circle cx="10" cy="10" r="5"/>',
    other: '<circle cx="10" cy="10" r="7"/>',
  };
  // Viridis (perceptually uniform, readable with colour-blindness and in grey).
  const VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"];

  const numberFormat = new Intl.NumberFormat("en", { maximumSignificantDigits: 3 });
  let network = null;
  let map = null;
  const layers = new Map(); // asset id -> Leaflet layer
  const features = new Map(); // asset id -> GeoJSON feature
  let selected = null;
  let colours = null; // {values, scale, quantity} while coloured by a result
  let period = null;
  let request = 0;

  // -- units people read (SI in the API) ----------------------------------------------------
  // The quantity catalogue's rule (static/js/charts.js, from apps/results/quantities.py) for the
  // units and signs it knows; a load factor reads as a percentage and a long pipe in km.
  function displayScale(unit, magnitude, key) {
    const m = Math.abs(magnitude || 0);
    if (unit === "-" && key === "load_factor") return { unit: "%", f: (v) => v * 100 };
    const charts = window.DTCharts;
    if (charts && charts.catalogue.display[unit]) {
      const scale = charts.scaleFor(unit, m, key);
      return { unit: scale.unit, f: (v) => charts.shownValue(v, scale) };
    }
    if (unit === "m" && m >= 1000) return { unit: "km", f: (v) => v / 1000 };
    return { unit: unit === "-" ? "" : unit, f: (v) => v };
  }

  // -1 for a quantity stored with the other sign than people read it (set points): its largest
  // shown value is its smallest stored one.
  function signOf(key) {
    return window.DTCharts ? window.DTCharts.shownSign(key) : 1;
  }

  function formatValue(value, unit, key) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value !== "number") return String(value);
    const scale = displayScale(unit, value, key);
    return `${numberFormat.format(scale.f(value))}${scale.unit ? " " + scale.unit : ""}`;
  }

  function attributeText(attribute) {
    if (attribute.name === "diameter") return String(attribute.value);
    return `${attribute.name} ${formatValue(attribute.value, attribute.unit, attribute.name)}`;
  }

  function keyAttributes(feature) {
    const key = ["power", "diameter", "length", "volume", "capacity", "COP"];
    return feature.properties.attributes.filter((a) => key.includes(a.name)).slice(0, 3)
      .map(attributeText).join(" · ");
  }

  function label(feature) {
    return feature.properties.name || feature.properties.asset_id;
  }

  // -- drawing ------------------------------------------------------------------------------
  function pipeWeight(feature) {
    const dn = feature.properties.dn;
    return dn ? Math.max(2, Math.min(9, 1.5 + dn / 80)) : 2.5;
  }

  function symbolHtml(category, fill, dimmed) {
    const shape = SHAPES[category] || SHAPES.other;
    return `<svg viewBox="0 0 20 20" width="100%" height="100%" aria-hidden="true">` +
      `<g fill="${fill}" stroke="#1b1b1b" stroke-width="1.2" opacity="${dimmed ? 0.35 : 1}">` +
      `${shape}</g></svg>`;
  }

  function symbolIcon(feature, fill, dimmed) {
    const category = feature.properties.category;
    const size = category === "joint" ? 12 : 22;
    return L.divIcon({
      className: "network-symbol",
      html: symbolHtml(category, fill, dimmed),
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
    });
  }

  function markElement(layer, feature, colour) {
    const element = layer.getElement ? layer.getElement() : null;
    if (!element) return;
    element.dataset.assetId = feature.properties.asset_id;
    element.dataset.colour = colour;
    element.classList.toggle("selected", selected === feature.properties.asset_id);
  }

  function drawNetwork() {
    const schematic = network.layout === "schematic";
    map = L.map(mapElement, schematic ? { crs: L.CRS.Simple, minZoom: -6, zoomSnap: 0.25 }
      : { zoomSnap: 0.25 });
    if (!schematic && root.dataset.tileUrl) {
      L.tileLayer(root.dataset.tileUrl, {
        attribution: root.dataset.tileAttribution || "", maxZoom: 19,
      }).addTo(map);
    }
    if (!schematic) L.control.scale({ imperial: false }).addTo(map);
    mapElement.dataset.layout = network.layout;
    const group = L.featureGroup().addTo(map);
    // Pipes first, so that the symbols of assets lie on top of them.
    const ordered = [...network.features].sort(
      (a, b) => (a.geometry.type === "LineString" ? 0 : 1) - (b.geometry.type === "LineString" ? 0 : 1));
    ordered.forEach((feature) => {
      const id = feature.properties.asset_id;
      features.set(id, feature);
      const coordinates = feature.geometry.coordinates;
      let layer;
      if (feature.geometry.type === "LineString") {
        layer = L.polyline(coordinates.map(([x, y]) => [y, x]), {
          color: CATEGORY_COLOURS.pipe, weight: pipeWeight(feature), className: "network-pipe",
          interactive: true, bubblingMouseEvents: false,
        });
      } else {
        layer = L.marker([coordinates[1], coordinates[0]], {
          icon: symbolIcon(feature, CATEGORY_COLOURS[feature.properties.category] || "#999", false),
          title: `${feature.properties.type} ${label(feature)}`,
          alt: `${feature.properties.type} ${label(feature)}`,
          riseOnHover: true,
        });
      }
      layer.on("click", () => select(id, false));
      layer.addTo(group);
      layers.set(id, layer);
      markElement(layer, feature, layer.options.color || CATEGORY_COLOURS[feature.properties.category]);
    });
    const bounds = group.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: schematic ? 2 : 18 });
    else map.setView([0, 0], 1);
  }

  function colourAt(t) {
    const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
    const mix = (a, b) => Math.round(a + (b - a) * (x - i));
    const rgb = (hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
    const [a, b] = [rgb(VIRIDIS[i]), rgb(VIRIDIS[i + 1])];
    return "#" + [0, 1, 2].map((k) => mix(a[k], b[k]).toString(16).padStart(2, "0")).join("");
  }

  function styleLayer(id) {
    const layer = layers.get(id);
    const feature = features.get(id);
    let colour = CATEGORY_COLOURS[feature.properties.category] || "#999";
    let dimmed = false;
    if (colours) {
      const value = colours.values[id];
      if (value === null || value === undefined) {
        dimmed = true;
      } else {  // the colour follows the value as shown: the darkest is the smallest shown
        const span = colours.max - colours.min;
        const low = colours.sign > 0 ? colours.min : colours.max;
        colour = colourAt(span > 0 ? (colours.sign * (value - low)) / span : 0.5);
      }
    }
    if (layer instanceof L.Polyline) {
      layer.setStyle({
        color: dimmed ? "#b8bec6" : colour,
        weight: pipeWeight(feature) + (selected === id ? 3 : 0),
        dashArray: dimmed ? "4 4" : null,
      });
      if (selected === id) layer.bringToFront();
    } else {
      layer.setIcon(symbolIcon(feature, colour, dimmed));
    }
    markElement(layer, feature, dimmed ? "none" : colour);
  }

  function recolour() {
    layers.forEach((_, id) => styleLayer(id));
    drawLegend();
    fillTable();
  }

  function drawLegend() {
    const parts = [];
    const present = new Set(network.features.map((f) => f.properties.category));
    Object.keys(CATEGORY_NAMES).filter((c) => present.has(c)).forEach((category) => {
      const symbol = category === "pipe"
        ? `<svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true"><path d="M1 10 H19" stroke="${CATEGORY_COLOURS.pipe}" stroke-width="4"/></svg>`
        : `<span class="network-legend-symbol">${symbolHtml(category, colours ? "#ffffff" : CATEGORY_COLOURS[category], false)}</span>`;
      parts.push(`<span class="network-legend-item">${symbol} ${CATEGORY_NAMES[category]}</span>`);
    });
    if (colours) {
      const scale = displayScale(colours.unit, Math.max(Math.abs(colours.min), Math.abs(colours.max)), colours.quantity);
      const stops = VIRIDIS.map((c, i) => `${c} ${(i * 100) / (VIRIDIS.length - 1)}%`).join(", ");
      const [low, high] = colours.sign > 0 ? [colours.min, colours.max] : [colours.max, colours.min];
      parts.push(
        `<span class="network-legend-item network-scale" id="network-scale">` +
        `<span>${escapeHtml(colours.title)}</span>` +
        `<span class="network-scale-low">${numberFormat.format(scale.f(low))}</span>` +
        `<span class="network-scale-bar" style="background: linear-gradient(to right, ${stops})"></span>` +
        `<span class="network-scale-high">${numberFormat.format(scale.f(high))}</span>` +
        `<span>${scale.unit}</span></span>`,
        `<span class="network-legend-item muted">dashed or faded: no value</span>`);
    }
    legend.innerHTML = parts.join("");
  }

  function escapeHtml(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  // -- the asset table ----------------------------------------------------------------------
  function fillTable() {
    const filter = (document.getElementById("network-filter").value || "").toLowerCase();
    tableBody.innerHTML = "";
    valueHead.hidden = !colours;
    if (colours) valueHead.textContent = colours.title;
    const rows = [...features.values()].sort((a, b) =>
      a.properties.type.localeCompare(b.properties.type) || label(a).localeCompare(label(b)));
    let shown = 0;
    rows.forEach((feature) => {
      const text = `${feature.properties.type} ${label(feature)}`.toLowerCase();
      if (filter && !text.includes(filter)) return;
      shown += 1;
      const row = tableBody.insertRow();
      row.dataset.assetId = feature.properties.asset_id;
      row.tabIndex = 0;
      if (selected === feature.properties.asset_id) row.classList.add("selected");
      [feature.properties.type, label(feature), keyAttributes(feature)].forEach((text) => {
        row.insertCell().textContent = text;
      });
      if (colours) {
        const cell = row.insertCell();
        cell.className = "number";
        cell.textContent = formatValue(colours.values[feature.properties.asset_id], colours.unit, colours.quantity);
      }
      row.onclick = () => select(feature.properties.asset_id, true);
      row.onkeydown = (event) => { if (event.key === "Enter") select(feature.properties.asset_id, true); };
    });
    document.getElementById("network-asset-count").textContent =
      shown === features.size ? `${features.size}` : `${shown} of ${features.size}`;
  }

  // -- one asset ----------------------------------------------------------------------------
  function select(id, pan) {
    const feature = features.get(id);
    if (!feature) return;
    const previous = selected;
    selected = id;
    if (previous && layers.has(previous)) styleLayer(previous);
    styleLayer(id);
    const layer = layers.get(id);
    tableBody.querySelectorAll("tr.selected").forEach((row) => row.classList.remove("selected"));
    const row = tableBody.querySelector(`tr[data-asset-id="${CSS.escape(id)}"]`);
    if (row) row.classList.add("selected");
    if (pan && layer) { // from the table: bring the asset into view if it is not
      const view = map.getBounds();
      if (layer.getBounds && !view.contains(layer.getBounds())) {
        map.fitBounds(layer.getBounds(), { maxZoom: map.getZoom(), padding: [40, 40] });
      } else if (layer.getLatLng && !view.contains(layer.getLatLng())) map.panTo(layer.getLatLng());
    }
    const p = feature.properties;
    const rows = p.attributes.map((a) =>
      `<tr><td>${escapeHtml(a.name)}</td><td class="number">${escapeHtml(formatValue(a.value, a.unit, a.name))}</td></tr>`).join("");
    panel.innerHTML =
      `<h3 id="network-asset-name">${escapeHtml(label(feature))}</h3>` +
      `<p class="muted">${escapeHtml(p.type)} · ${escapeHtml(p.category)}${p.dn ? " · DN" + p.dn : ""}</p>` +
      (rows ? `<table class="network-properties"><tbody>${rows}</tbody></table>` : "") +
      (onJobPage ? `<h4>Results over the period</h4><div id="network-asset-results"><p class="muted">Loading…</p></div>` : "");
    panel.dataset.assetId = id;
    if (onJobPage) loadAssetResults(id);
  }

  async function loadAssetResults(id) {
    const target = document.getElementById("network-asset-results");
    const response = await fetch(`${root.dataset.assetUrl}?asset_id=${encodeURIComponent(id)}`,
      { credentials: "same-origin" });
    if (selected !== id) return;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      target.innerHTML = `<p class="muted">${escapeHtml(body.detail || "No results.")}</p>`;
      return;
    }
    if (!body.outputs.length) {
      target.innerHTML = '<p class="muted">The job wrote no results for this asset.</p>';
      return;
    }
    const rows = body.outputs.map((o) => {
      const scale = displayScale(o.unit, Math.max(Math.abs(o.max || 0), Math.abs(o.min || 0)), o.field);
      const show = (v) => (v === null || v === undefined ? "–" : numberFormat.format(scale.f(v)));
      const top = signOf(o.field) > 0 ? o.max : o.min;  // the largest value as shown
      return `<tr data-field="${escapeHtml(o.field)}"><td>${escapeHtml(o.field)}</td>` +
        `<td class="number">${show(o.mean)}</td><td class="number">${show(top)}</td>` +
        `<td>${escapeHtml(scale.unit)}</td><td><button type="button" class="link" data-chart="${escapeHtml(o.field)}">chart</button></td></tr>`;
    }).join("");
    target.innerHTML = `<table id="network-asset-outputs"><thead><tr><th>Quantity</th><th>Mean</th>` +
      `<th>Max</th><th>Unit</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
    target.querySelectorAll("button[data-chart]").forEach((button) => {
      button.onclick = () => showInChart(id, button.dataset.chart);
    });
  }

  // The job page's chart shows the series (static/js/job.js listens for this event).
  function showInChart(assetId, field) {
    document.dispatchEvent(new CustomEvent("network:show-series", { detail: { asset_id: assetId, field }, cancelable: true }));
  }

  // -- colouring by a result ----------------------------------------------------------------
  // In the reader's time zone, named, as the job's charts show time (static/js/charts.js).
  function isoLabel(seconds) {
    const charts = window.DTCharts;
    if (charts && window.uPlot) return `${charts.isoTime(seconds)} (${charts.zoneLabel})`;
    return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function sliderSeconds() {
    return period.start_s + Number(slider.value) * period.step_s;
  }

  async function loadValues() {
    const quantity = quantitySelect.value;
    const aggregate = aggregateSelect.value;
    if (!quantity) return;
    const sign = signOf(quantity);
    // The largest value as shown of a quantity stored with the other sign is its smallest stored.
    const stored = sign > 0 ? aggregate : ({ max: "min", min: "max" }[aggregate] || aggregate);
    const params = new URLSearchParams({ quantity, aggregate: stored });
    if (aggregate === "at") {
      if (!period) return;
      params.set("time", new Date(sliderSeconds() * 1000).toISOString());
    }
    const mine = ++request;
    root.dataset.state = "loading";
    const response = await fetch(`${root.dataset.valuesUrl}?${params}`, { credentials: "same-origin" });
    const body = await response.json().catch(() => ({}));
    if (mine !== request) return;
    if (!response.ok) {
      notes.textContent = body.detail || "The results could not be read.";
      root.dataset.state = "error";
      return;
    }
    if (body.period && !period) {
      period = body.period;
      slider.max = String(Math.max(0, Math.round((period.end_s - period.start_s) / period.step_s)));
    }
    const option = quantitySelect.selectedOptions[0];
    const what = aggregate === "at" ? `at ${isoLabel(sliderSeconds())}` : aggregateSelect.selectedOptions[0].text;
    colours = {
      quantity, sign, unit: body.unit, values: body.values, min: body.min ?? 0, max: body.max ?? 0,
      title: `${option ? option.dataset.label : quantity} (${what})`,
    };
    mapElement.dataset.colouredBy = `${quantity}:${aggregate}${aggregate === "at" ? ":" + body.time : ""}`;
    recolour();
    root.dataset.state = "ready";
  }

  let sliderTimer = null;
  function onSlide() {
    sliderLabel.textContent = period ? isoLabel(sliderSeconds()) : "";
    clearTimeout(sliderTimer);
    sliderTimer = setTimeout(loadValues, 150);
  }

  function offerQuantities(quantities) {
    controls.hidden = !quantities.length;
    if (!quantities.length) return;
    quantitySelect.innerHTML = "";
    quantities.forEach((q) => {
      const option = new Option(q.label, q.key);
      option.dataset.label = q.label;
      quantitySelect.add(option);
    });
    quantitySelect.onchange = loadValues;
    aggregateSelect.onchange = () => {
      moment.hidden = aggregateSelect.value !== "at";
      if (aggregateSelect.value === "at") sliderLabel.textContent = period ? isoLabel(sliderSeconds()) : "";
      loadValues();
    };
    slider.oninput = onSlide;
    loadValues();
  }

  // -- start ----------------------------------------------------------------------------------
  async function loadNetwork() {
    const response = await fetch(root.dataset.networkUrl, { credentials: "same-origin" });
    if (!response.ok) {
      notes.textContent = "The network could not be loaded.";
      return null;
    }
    return response.json();
  }

  async function start() {
    network = await loadNetwork();
    if (!network) return;
    notes.textContent = network.notes.join(" ");
    if (!network.features.length) {
      mapElement.hidden = true;
      root.dataset.state = "empty";
      fillTable();
      return;
    }
    drawNetwork();
    recolour();
    root.dataset.state = "ready";
    if (onJobPage) {
      if (network.quantities.length) offerQuantities(network.quantities);
      else waitForResults();
    }
  }

  // A job that is still running gets its results later: offer them once the job page says so.
  function waitForResults() {
    const status = document.getElementById("job-status");
    if (!status) return;
    const observer = new MutationObserver(async () => {
      if (status.textContent.trim() !== "succeeded") return;
      observer.disconnect();
      const fresh = await loadNetwork();
      if (fresh && fresh.quantities.length) offerQuantities(fresh.quantities);
    });
    observer.observe(status, { childList: true, characterData: true, subtree: true });
  }

  document.getElementById("network-filter").addEventListener("input", fillTable);
  start();
})();
