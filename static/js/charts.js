// What the result charts share (job page, comparison): the quantity catalogue the server sends
// (apps/results/quantities.py, in <script id="quantity-catalogue">), a colour-blind-safe palette,
// ISO dates in the reader's time zone, a y range from the data, a tooltip at the cursor and an
// overview chart to choose the shown range. Values arrive in SI; only what is drawn is converted.
window.DTCharts = (function () {
  "use strict";
  const node = document.getElementById("quantity-catalogue");
  const catalogue = node ? JSON.parse(node.textContent) : { display: {}, quantities: {}, asset_classes: {} };
  // Okabe & Ito (2008), in an order that keeps the first few far apart; yellow (hard on white) last.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442"];
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const WEEK_S = 7 * 24 * 3600;

  function colour(i, alpha) {
    const hex = PALETTE[i % PALETTE.length];
    if (alpha === undefined) return hex;
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }

  // The sign a person reads a stored quantity with: the catalogue's shown_sign, -1 where the
  // stored sign is not the one people expect (the simulator stores set points negative: heat a
  // producer was asked to supply reads positive). field may name a port ("Out.temperature").
  // Pages apply it only through the scales below (convert, the tooltip, the map's values).
  function shownSign(field) {
    const quantity = catalogue.quantities[String(field || "").split(".").pop()];
    return quantity && quantity.shown_sign === -1 ? -1 : 1;
  }

  // The display unit for values of siUnit around magnitude (SI): the same rule as the server's
  // quantities.display_unit, applied to the steps the server sent; with field, its shown sign.
  function scaleFor(siUnit, magnitude, field) {
    const steps = catalogue.display[siUnit];
    if (!steps || !steps.length) return { unit: siUnit, factor: 1, offset: 0, sign: shownSign(field) };
    let chosen = steps[0];
    steps.slice(1).forEach((s) => { if (Math.abs(magnitude) >= s.threshold) chosen = s; });
    return signed(chosen, field);
  }

  // The same scale for the series of another field (one chart, one unit, each its own sign).
  function signed(scale, field) {
    return Object.assign({}, scale, { sign: shownSign(field) });
  }

  // A stored SI value as shown in a scale's unit and sign.
  function shownValue(v, scale) {
    return v === null || v === undefined ? null : ((scale.sign || 1) * (v - scale.offset)) / scale.factor;
  }

  function magnitudeOf(arrays) {
    let top = 0;
    arrays.forEach((a) => a.forEach((v) => { if (v !== null && Math.abs(v) > top) top = Math.abs(v); }));
    return top;
  }

  function convert(values, scale) {
    return values.map((v) => shownValue(v, scale));
  }

  function formatNumber(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 0.01 ? 2 : 4;
    return v.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function shown(v, unit) {
    return unit && unit !== "-" ? `${formatNumber(v)} ${unit}` : formatNumber(v);
  }

  // A unit of any kind (MWh, MW, W, °C...) as a scale from it to the unit its values' size calls
  // for: {unit, convert(v), convertDifference(d)}. Units the catalogue does not know stay as they are.
  function readableScale(unit, values) {
    const known = (catalogue.non_si || {})[unit] || { si_unit: unit, factor: 1, offset: 0 };
    const toSi = (v) => v * known.factor + known.offset;
    const present = values.filter((v) => v !== null && v !== undefined);
    const scale = scaleFor(known.si_unit, magnitudeOf([present.map(toSi)]));
    if (!catalogue.display[known.si_unit]) {
      return { unit, convert: (v) => v, convertDifference: (d) => d };
    }
    return {
      unit: scale.unit,
      convert: (v) => (v === null || v === undefined ? v : (toSi(v) - scale.offset) / scale.factor),
      convertDifference: (d) => (d === null || d === undefined ? d : (d * known.factor) / scale.factor),
    };
  }

  function readable(value, unit) {
    const scale = readableScale(unit, [value]);
    return shown(scale.convert(value), scale.unit);
  }

  // -- time ---------------------------------------------------------------------------------------

  function tzDate(ts) { return uPlot.tzDate(new Date(ts * 1e3), timeZone); }
  const fmtDay = uPlot.fmtDate("{YYYY}-{MM}-{DD}");
  const fmtFull = uPlot.fmtDate("{YYYY}-{MM}-{DD} {HH}:{mm}");
  const fmtTime = uPlot.fmtDate("{HH}:{mm}");

  function zoneOffset() {
    const part = new Intl.DateTimeFormat("en", { timeZone, timeZoneName: "shortOffset" })
      .formatToParts(new Date()).find((p) => p.type === "timeZoneName");
    return part ? part.value.replace("GMT", "UTC") : "";
  }
  const zoneLabel = `${timeZone}${zoneOffset() && zoneOffset() !== "UTC" ? `, ${zoneOffset()}` : ""}`;

  function isoTime(ts) { return fmtFull(tzDate(ts)); }

  // ISO ticks at every zoom: days as YYYY-MM-DD, hours as HH:mm with the date under a day's first.
  function xAxis(withLabel) {
    return {
      label: withLabel === false ? undefined : `Time (${zoneLabel})`,
      labelSize: withLabel === false ? 0 : 24,
      space: 100,  // an ISO date is ~70 px wide: keep ticks far enough apart not to overlap
      values: (u, splits, axisIdx, space, incr) => {
        let lastDay = "";
        return splits.map((ts) => {
          const d = tzDate(ts);
          if (incr >= 86400) return fmtDay(d);
          const day = fmtDay(d);
          const text = day !== lastDay ? `${fmtTime(d)}\n${day}` : fmtTime(d);
          lastDay = day;
          return text;
        });
      },
    };
  }

  // A y range from the data with a little room: a flat 80 °C line reads 79-81, not 0-700.
  function yRange(u, min, max) {
    if (min === null || max === null) return [0, 1];
    if (min === max) {
      const pad = Math.max(Math.abs(min) * 0.02, 1);
      return [min - pad, max + pad];
    }
    const pad = (max - min) * 0.06;
    return [min - pad, max + pad];
  }

  function stackedRange(u, min, max) {
    return [Math.min(0, min === null ? 0 : min), (max === null ? 1 : max) * 1.06 || 1];
  }

  function defaultWindow(xs) {
    if (xs.length < 3) return null;
    const step = xs[1] - xs[0];
    if (step > 3600 || xs[xs.length - 1] - xs[0] <= WEEK_S * 1.5) return null;
    return [xs[0], xs[0] + WEEK_S];
  }

  // -- tooltip at the cursor ------------------------------------------------------------------------

  // Each drawn series may carry dt = {raw: SI values, siUnit, scale}: the tooltip shows the value
  // read (display unit) and its SI value, with the scale's sign, not the stacked sum the line is
  // drawn at.
  function tooltipPlugin() {
    let tip;
    return {
      hooks: {
        init: (u) => {
          tip = document.createElement("div");
          tip.className = "chart-tooltip";
          tip.hidden = true;
          u.over.appendChild(tip);
          u.over.addEventListener("mouseleave", () => { tip.hidden = true; });
        },
        setCursor: (u) => {
          const { left, top, idx } = u.cursor;
          if (idx === null || idx === undefined || left < 0) { tip.hidden = true; return; }
          const rows = [`<div class="when">${isoTime(u.data[0][idx])}</div>`];
          u.series.forEach((s, i) => {
            if (!i || !s.show || !s.dt) return;
            // Reduced data (dt.minMax) holds each bucket's minimum and maximum at idx pairs.
            const at = s.dt.minMax ? [idx - (idx % 2), idx - (idx % 2) + 1] : [idx];
            const stored = at.map((i) => s.dt.raw[i]);
            if (stored.some((v) => v === null || v === undefined)) return;
            const sign = s.dt.scale.sign || 1;
            const si = stored.map((v) => sign * v).sort((a, b) => a - b);
            const text = (values, u) => values.map((v) => formatNumber(v)).join(" – ") + (u && u !== "-" ? ` ${u}` : "");
            const unit = s.dt.scale.unit;
            const siText = unit !== s.dt.siUnit ? ` <span class="si">(${text(si, s.dt.siUnit)})</span>` : "";
            const swatch = `<i style="background:${s._stroke || s.stroke}"></i>`;
            const value = text(stored.map((v) => shownValue(v, s.dt.scale)).sort((a, b) => a - b), unit);
            rows.push(`<div>${swatch}${escape(s.label)}: <b>${value}</b>${siText}</div>`);
          });
          tip.innerHTML = rows.join("");
          tip.hidden = false;
          const flip = left > u.over.clientWidth / 2;
          tip.style.left = `${flip ? left - tip.offsetWidth - 12 : left + 12}px`;
          tip.style.top = `${Math.max(0, Math.min(top, u.over.clientHeight - tip.offsetHeight))}px`;
        },
      },
    };
  }

  function escape(text) {
    const div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  // -- an overview chart below the main one: drag across it to choose the range shown ------------

  function rangeSelector(main, box, xs, ys, stroke) {
    let quiet = false;
    const overview = new uPlot({
      width: main.width,
      height: 90,
      tzDate,
      legend: { show: false },
      cursor: { y: false, points: { show: false }, drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: true }, y: { range: yRange } },
      series: [{}, { stroke, width: 1, fill: colour(0, 0.12) }],
      axes: [xAxis(false), { show: false }],
      hooks: {
        setSelect: [(u) => {
          if (quiet || u.select.width < 2) return;
          const min = u.posToVal(u.select.left, "x");
          const max = u.posToVal(u.select.left + u.select.width, "x");
          main.setScale("x", { min, max });
        }],
      },
    }, [xs, ys], box);
    // The strip's box follows the main chart's range (once the strip has its scales: uPlot
    // sets them when it first draws, after the constructor returns).
    function follow(strip) {
      const left = strip.valToPos(main.scales.x.min, "x");
      const right = strip.valToPos(main.scales.x.max, "x");
      if (!Number.isFinite(left) || !Number.isFinite(right)) return;
      quiet = true;
      strip.setSelect({ left, top: 0, width: Math.max(right - left, 2), height: strip.over.clientHeight }, false);
      quiet = false;
    }
    main.hooks.setScale = main.hooks.setScale || [];
    main.hooks.setScale.push((u, key) => { if (key === "x" && overview) follow(overview); });
    overview.hooks.ready = overview.hooks.ready || [];
    overview.hooks.ready.push(follow);
    follow(overview);
    return overview;
  }

  // Record the shown x range on the container (tests and the console read it).
  function noteRange(container) {
    return (u, key) => {
      if (key !== "x") return;
      container.dataset.xMin = String(Math.round(u.scales.x.min));
      container.dataset.xMax = String(Math.round(u.scales.x.max));
    };
  }

  return {
    catalogue, PALETTE, colour, shownSign, scaleFor, signed, shownValue, magnitudeOf, convert, formatNumber,
    shown, readableScale, readable,
    timeZone, zoneLabel, tzDate, isoTime, xAxis, yRange, stackedRange, defaultWindow,
    tooltipPlugin, rangeSelector, noteRange,
  };
})();
