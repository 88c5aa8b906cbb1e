// metaloss explore: the page. Plain JavaScript, no build step, nothing from the network.
//
// A view is a list of axes {name, kind, a, b, n} in the --axis grammar
// (NAME=KIND:A:B:N). Each axis is drawn linearly in its outer coordinate u:
// u = log10(value) for "log", log10(1 - value) for "1mlog", the value for "lin",
// so the gradient endpoint's coordinates (param=NAME=KIND) map straight to pixels.
"use strict";

const MARGIN = { left: 78, right: 12, top: 12, bottom: 52 };
const CLIENT = Math.random().toString(36).slice(2, 12);
const COARSE = 64;
const $ = (id) => document.getElementById(id);

const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const x = (k / 255) * (VIRIDIS.length - 1);
    const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
    const f = x - i;
    for (let c = 0; c < 3; c++) lut[3 * k + c] = VIRIDIS[i][c] * (1 - f) + VIRIDIS[i + 1][c] * f;
  }
  return lut;
})();
// RdBu_r (as ml.plot draws the Lyapunov exponent): blue contracting, red chaotic.
const RDBU_R = [[5, 48, 97], [32, 101, 171], [67, 147, 195], [144, 196, 221], [209, 229, 240],
  [247, 246, 246], [253, 219, 199], [243, 164, 129], [214, 96, 77], [177, 24, 43], [103, 0, 31]];
const DIV_LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const x = (k / 255) * (RDBU_R.length - 1);
    const i = Math.min(Math.floor(x), RDBU_R.length - 2);
    const f = x - i;
    for (let c = 0; c < 3; c++) lut[3 * k + c] = RDBU_R[i][c] * (1 - f) + RDBU_R[i + 1][c] * f;
  }
  return lut;
})();
const NON_FINITE = [150, 150, 150];
const UNDETERMINED = [190, 190, 190];
const DIVERGED = [205, 45, 45];

const state = {
  start: null, axes: null, history: [], frame: null, gen: 0, abort: null,
  drag: null, picked: null, arrows: null,
};

// ---- axes -----------------------------------------------------------------------------

function parseAxis(spec) {
  const [name, rest] = [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)];
  const [kind, a, b, n] = rest.split(":");
  return { name, kind, a: Number(a), b: Number(b), n: Number(n) };
}
const specOf = (ax) => `${ax.name}=${ax.kind}:${fmtSpec(ax.a)}:${fmtSpec(ax.b)}:${ax.n}`;
const fmtSpec = (x) => Number(x.toPrecision(12)).toString();
const toU = (ax, x) => (ax.kind === "lin" ? x : Math.log10(x)); // spec number -> u
const fromU = (ax, u) => (ax.kind === "lin" ? u : 10 ** u); // u -> spec number
const valueOfU = (kind, u) => (kind === "lin" ? u : kind === "log" ? 10 ** u : 1 - 10 ** u);
const uOfValue = (kind, v) => (kind === "lin" ? v : kind === "log" ? Math.log10(v) : Math.log10(1 - v));

// The u range the plot spans along an axis: first cell's left edge to last cell's right edge.
function uEdges(ax) {
  const ua = toU(ax, ax.a), ub = toU(ax, ax.b);
  const du = ax.n > 1 ? (ub - ua) / (ax.n - 1) : 1;
  return [ua - du / 2, ub + du / 2];
}

function plotBox() {
  const c = $("map");
  return { x: MARGIN.left, y: MARGIN.top, w: c.width - MARGIN.left - MARGIN.right,
    h: c.height - MARGIN.top - MARGIN.bottom };
}

// Fractions of the plot (0..1, x rightwards, y upwards) <-> u along each axis.
function fracToU(ax, f) { const [l, r] = uEdges(ax); return l + f * (r - l); }
function uToFrac(ax, u) { const [l, r] = uEdges(ax); return (u - l) / (r - l); }

function pixelToFrac(px, py) {
  const b = plotBox();
  return [(px - b.x) / b.w, 1 - (py - b.y) / b.h];
}
function fracToPixel(fx, fy) {
  const b = plotBox();
  return [b.x + fx * b.w, b.y + (1 - fy) * b.h];
}

// ---- requests ---------------------------------------------------------------------------

function landscapeQuery(axes, extra) {
  const q = new URLSearchParams();
  for (const ax of axes) q.append("axis", specOf(ax));
  q.append("measure", $("measure").value);
  if ($("determined").checked) q.append("determined", "1");
  for (const [k, v] of Object.entries(extra || {})) q.append(k, v);
  return q.toString();
}

async function getJSON(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

// The binary frame: uint32 LE header length, JSON header, float32 values, uint8 flags.
function decodeFrame(buf) {
  const n = new DataView(buf).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
  const size = head.shape.reduce((p, s) => p * s, 1);
  const values = new Float32Array(buf, 4 + n, size);
  const diverged = new Uint8Array(buf, 4 + n + 4 * size, size);
  const determined = head.determined ? new Uint8Array(buf, 4 + n + 5 * size, size) : null;
  return { head, values, diverged, determined };
}

async function fetchFrame(axes, signal) {
  const url = "/api/landscape?" + landscapeQuery(axes, { format: "f32", client: CLIENT });
  const t0 = performance.now();
  const r = await fetch(url, { signal });
  if (!r.ok) throw new Error((await r.json()).error || `HTTP ${r.status}`);
  const frame = decodeFrame(await r.arrayBuffer());
  frame.total = (performance.now() - t0) / 1000;
  return frame;
}

// Shows `axes`: a coarse preview first, then the full resolution. A newer view
// aborts this one (the server drops or stops it as well).
async function show(axes) {
  state.axes = axes;
  const gen = ++state.gen;
  if (state.abort) state.abort.abort();
  const abort = (state.abort = new AbortController());
  $("download").href = "/api/landscape.nc?" + landscapeQuery(axes);
  $("back").disabled = state.history.length === 0;
  const full = axes[0].n;
  const steps = full > COARSE ? [COARSE, full] : [full];
  try {
    for (const n of steps) {
      const view = axes.map((ax) => ({ ...ax, n }));
      setStatus(n < full ? `preview ${n} points per axis ...` : "computing ...");
      const frame = await fetchFrame(view, abort.signal);
      if (gen !== state.gen) return;
      state.frame = frame;
      state.frame.axes = view;
      draw();
      const shape = frame.head.shape.join(" × ");
      setStatus(`${shape} ${frame.head.measure}: ${frame.head.seconds.toFixed(3)} s on the ` +
        `server, ${frame.total.toFixed(3)} s in all` + (n < full ? " (preview)" : "") +
        boundaryText(frame.head.boundary) + determinedText(frame.head));
    }
  } catch (e) {
    if (e.name === "AbortError") return;
    setStatus(e.message, true);
  }
}

function setStatus(text, error) {
  const s = $("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

// ---- drawing the map ---------------------------------------------------------------------

function scaleOf(frame) {
  const mode = $("scale").value;
  if (mode === "diverging" || mode === "symlog") return divergingScale(frame, mode === "symlog");
  const log = mode === "log";
  let lo = Infinity, hi = -Infinity;
  const { values, diverged } = frame;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (!Number.isFinite(v) || diverged[k] || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const given = (id) => { const t = $(id).value.trim(); return t === "" ? NaN : Number(t); };
  if (Number.isFinite(given("vmin"))) lo = given("vmin");
  if (Number.isFinite(given("vmax"))) hi = given("vmax");
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = log ? [1, 10] : [0, 1];
  if (!(lo < hi)) hi = log ? lo * 10 : lo + 1;
  const tf = log ? (v) => Math.log10(Math.max(v, lo)) : (v) => v;
  const [tlo, thi] = [tf(lo), tf(hi)];
  return { lo, hi, log, lut: LUT, name: log ? "log" : "linear",
    frac: (v) => Math.min(1, Math.max(0, (tf(v) - tlo) / (thi - tlo))) };
}

// Centred at 0 with symmetric limits +-L (L: the largest |value|, or the clip given);
// symlog: sign(v) log10(1 + |v| / c) with c = L / 100, linear within +-c.
function divergingScale(frame, symlog) {
  let L = 0;
  const { values, diverged } = frame;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (Number.isFinite(v) && !diverged[k]) L = Math.max(L, Math.abs(v));
  }
  const given = ["vmin", "vmax"].map((id) => Math.abs(Number($(id).value.trim() || NaN)))
    .filter(Number.isFinite);
  if (given.length) L = Math.max(...given);
  if (!(L > 0)) L = 1;
  const c = L / 100;
  const tf = symlog ? (v) => Math.sign(v) * Math.log10(1 + Math.abs(v) / c) : (v) => v;
  const T = tf(L);
  return { lo: -L, hi: L, log: false, symlog, tf, lut: DIV_LUT,
    name: symlog ? `symlog, linear within ±${fmt(c)}` : "diverging, centred at 0",
    frac: (v) => Math.min(1, Math.max(0, (tf(v) + T) / (2 * T))) };
}

function draw() {
  const frame = state.frame;
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const [nx, ny] = [frame.head.shape[0], frame.head.shape[1] || 1];
  const scale = scaleOf(frame);
  if (frame.head.shape.length === 1) {
    drawLine(ctx, frame, scale);
    drawAxes(ctx, frame.axes);
    drawColorbar(scale);
    drawOverlay();
    return;
  }
  const img = new ImageData(nx, ny);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < ny; j++) {
      const k = i * ny + j;
      const v = frame.values[k];
      let rgb;
      if (frame.determined && !frame.determined[k]) rgb = UNDETERMINED;
      else if (frame.diverged[k]) rgb = DIVERGED;
      else if (!Number.isFinite(v)) rgb = NON_FINITE;
      else {
        const c = Math.round(255 * scale.frac(v));
        rgb = [scale.lut[3 * c], scale.lut[3 * c + 1], scale.lut[3 * c + 2]];
      }
      const p = 4 * ((ny - 1 - j) * nx + i); // first axis along x, second upwards
      img.data[p] = rgb[0]; img.data[p + 1] = rgb[1]; img.data[p + 2] = rgb[2];
      img.data[p + 3] = 255;
    }
  }
  const off = document.createElement("canvas");
  off.width = nx; off.height = ny;
  off.getContext("2d").putImageData(img, 0, 0);
  const b = plotBox();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, b.x, b.y, b.w, b.h);
  drawAxes(ctx, frame.axes);
  drawColorbar(scale);
  drawOverlay();
}

// A copy of the plot area as drawn, shifted under the cursor while a pan drag lasts.
function snapshot() {
  const b = plotBox();
  const snap = document.createElement("canvas");
  snap.width = b.w; snap.height = b.h;
  snap.getContext("2d").drawImage($("map"), b.x, b.y, b.w, b.h, 0, 0, b.w, b.h);
  return snap;
}

// Pan feedback: the current image moved by (dx, dy) pixels, the axes of the moved window.
function drawPanned(dx, dy) {
  const { snap, axes } = state.drag;
  const canvas = $("map");
  const ctx = canvas.getContext("2d");
  const b = plotBox();
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.save();
  ctx.beginPath(); ctx.rect(b.x, b.y, b.w, b.h); ctx.clip();
  ctx.fillStyle = "#ddd"; ctx.fillRect(b.x, b.y, b.w, b.h);
  ctx.drawImage(snap, b.x + dx, b.y + (axes.length > 1 ? dy : 0));
  ctx.restore();
  drawAxes(ctx, pannedAxes(axes, dx, dy, axes[0].n));
}

// A 1-D view: the measure as a curve over the axis, on the colour bar's scale (the bar
// beside the plot is its vertical axis); diverged points marked along the bottom.
function drawLine(ctx, frame, scale) {
  const b = plotBox();
  const n = frame.values.length;
  ctx.save();
  ctx.beginPath(); ctx.rect(b.x, b.y, b.w, b.h); ctx.clip();
  ctx.fillStyle = "#fff"; ctx.fillRect(b.x, b.y, b.w, b.h);
  ctx.strokeStyle = "#1f6fb4"; ctx.lineWidth = 1.2; ctx.beginPath();
  let open = false;
  for (let i = 0; i < n; i++) {
    const v = frame.values[i];
    if (!Number.isFinite(v)) { open = false; continue; }
    const [px] = fracToPixel((i + 0.5) / n, 0);
    const py = b.y + (1 - scale.frac(v)) * b.h;
    if (open) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    open = true;
  }
  ctx.stroke();
  ctx.fillStyle = `rgb(${DIVERGED})`;
  for (let i = 0; i < n; i++) {
    if (frame.diverged[i]) ctx.fillRect(fracToPixel(i / n, 0)[0], b.y + b.h - 5, Math.max(1, b.w / n), 5);
  }
  ctx.restore();
}

function niceTicks(lo, hi, count) {
  const [a, b] = lo < hi ? [lo, hi] : [hi, lo];
  const raw = (b - a) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(a / step) * step; t <= b + 1e-9 * step; t += step) out.push(t);
  return out;
}

// Tick positions (in u) along an axis: whole decades on a wide log axis, round values
// (of the value, or of 1 - value for "1mlog") otherwise.
function axisTicks(ax) {
  const [l, r] = uEdges(ax);
  if (ax.kind === "lin" || Math.abs(r - l) >= 2) return niceTicks(l, r, 6);
  return niceTicks(10 ** l, 10 ** r, 5).filter((v) => v > 0).map(Math.log10);
}

const fmt = (v) => {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
};

function axisTitle(ax) {
  return ax.kind === "log" ? `${ax.name} (log scale)` :
    ax.kind === "1mlog" ? `${ax.name} (1 − ${ax.name} on a log scale)` : ax.name;
}

function drawAxes(ctx, axes) {
  const b = plotBox();
  ctx.strokeStyle = "#333"; ctx.fillStyle = "#222"; ctx.font = "12px system-ui";
  ctx.strokeRect(b.x, b.y, b.w, b.h);
  const tick = (ax, along) => {
    for (const u of axisTicks(ax)) {
      const f = uToFrac(ax, u);
      const label = fmt(valueOfU(ax.kind, u));
      ctx.beginPath();
      if (along === "x") {
        const [px] = fracToPixel(f, 0);
        ctx.moveTo(px, b.y + b.h); ctx.lineTo(px, b.y + b.h + 5); ctx.stroke();
        ctx.textAlign = "center"; ctx.fillText(label, px, b.y + b.h + 18);
      } else {
        const [, py] = fracToPixel(0, f);
        ctx.moveTo(b.x - 5, py); ctx.lineTo(b.x, py); ctx.stroke();
        ctx.textAlign = "right"; ctx.fillText(label, b.x - 8, py + 4);
      }
    }
  };
  tick(axes[0], "x");
  ctx.textAlign = "center";
  ctx.fillText(axisTitle(axes[0]), b.x + b.w / 2, b.y + b.h + 40);
  if (axes.length > 1) {
    tick(axes[1], "y");
    ctx.save(); ctx.translate(16, b.y + b.h / 2); ctx.rotate(-Math.PI / 2);
    ctx.fillText(axisTitle(axes[1]), 0, 0); ctx.restore();
  }
}

function drawColorbar(scale) {
  const c = $("colorbar");
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const top = MARGIN.top, h = c.height - MARGIN.top - MARGIN.bottom, w = 16;
  for (let y = 0; y < h; y++) {
    const k = Math.round(255 * (1 - y / (h - 1)));
    const lut = scale.lut;
    ctx.fillStyle = `rgb(${lut[3 * k]},${lut[3 * k + 1]},${lut[3 * k + 2]})`;
    ctx.fillRect(2, top + y, w, 1);
  }
  ctx.strokeStyle = "#333"; ctx.strokeRect(2, top, w, h);
  ctx.fillStyle = "#222"; ctx.font = "11px system-ui"; ctx.textAlign = "left";
  if (scale.symlog) {
    for (const v of [-scale.hi, -scale.hi / 10, 0, scale.hi / 10, scale.hi]) {
      const y = top + h * (1 - scale.frac(v));
      ctx.fillRect(2 + w, y, 4, 1);
      ctx.fillText(fmt(v), 24, y + 4);
    }
  } else {
    const tf = scale.log ? Math.log10 : (v) => v;
    const inv = scale.log ? (t) => 10 ** t : (t) => t;
    const [tlo, thi] = [tf(scale.lo), tf(scale.hi)];
    const ticks = scale.log && thi - tlo < 2
      ? niceTicks(scale.lo, scale.hi, 5).filter((v) => v > 0).map(Math.log10)
      : niceTicks(tlo, thi, 6);
    for (const t of ticks) {
      const y = top + h * (1 - (t - tlo) / (thi - tlo));
      ctx.fillRect(2 + w, y, 4, 1);
      ctx.fillText(fmt(inv(t)), 24, y + 4);
    }
  }
  ctx.fillText(scale.name.split(",")[0], 2, top + h + 16);
  ctx.fillStyle = `rgb(${DIVERGED})`; ctx.fillRect(2, top + h + 24, 10, 10);
  ctx.fillStyle = "#222"; ctx.fillText("diverged", 15, top + h + 33);
}

// ---- overlay: zoom box, picked point, gradient arrows ------------------------------------

function drawOverlay() {
  const c = $("overlay");
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  if (state.drag && state.drag.moved && state.drag.zoom) {
    const { x0, y0, x1, y1 } = state.drag;
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.setLineDash([5, 3]);
    ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    ctx.setLineDash([]);
  }
  const p = state.picked;
  if (!p || !state.frame) return;
  const d = state.drag;
  const axes = d && d.moved && !d.zoom ? pannedAxes(d.axes, d.x1 - d.x0, d.y1 - d.y0, d.axes[0].n)
    : state.frame.axes;
  const b = plotBox();
  ctx.save();
  ctx.beginPath(); ctx.rect(b.x, b.y, b.w, b.h); ctx.clip();
  drawPicked(ctx, p, axes);
  ctx.restore();
}

function drawPicked(ctx, p, axes) {
  const fx = uToFrac(axes[0], p.u[0]);
  const oneD = axes.length === 1;
  const fy = !oneD ? uToFrac(axes[1], p.u[1])
    : Number.isFinite(p.value) ? scaleOf(state.frame).frac(p.value) : 0.5;
  const [px, py] = fracToPixel(fx, fy);
  ctx.strokeStyle = oneD ? "#222" : "#fff"; ctx.lineWidth = 2;
  ctx.beginPath(); ctx.arc(px, py, 5, 0, 2 * Math.PI); ctx.stroke();
  if (!state.arrows) return;
  // descent directions (-gradient) in pixels, 70 px each: the estimators' gradients
  // can differ by orders of magnitude (the panel beside the map gives their sizes)
  const [l0, r0] = uEdges(axes[0]);
  const perU = [plotBox().w / (r0 - l0), 0];
  if (axes.length > 1) { const [l1, r1] = uEdges(axes[1]); perU[1] = -plotBox().h / (r1 - l1); }
  for (const a of state.arrows) {
    const d = a.g.map((g, k) => -g * perU[k]);
    const len = Math.hypot(d[0], d[1] || 0);
    if (!Number.isFinite(len) || len === 0) continue;
    arrow(ctx, px, py, px + (70 * d[0]) / len, py + (70 * (d[1] || 0)) / len, a.color);
  }
}

function arrow(ctx, x0, y0, x1, y1, color) {
  const ang = Math.atan2(y1 - y0, x1 - x0);
  ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 2.5;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  ctx.beginPath(); ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 10 * Math.cos(ang - 0.4), y1 - 10 * Math.sin(ang - 0.4));
  ctx.lineTo(x1 - 10 * Math.cos(ang + 0.4), y1 - 10 * Math.sin(ang + 0.4));
  ctx.closePath(); ctx.fill();
}

// The grid cell under a pixel of the map, or null outside the plot.
function cellAt(px, py) {
  const f = state.frame;
  if (!f) return null;
  const [fx, fy] = pixelToFrac(px, py);
  if (fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return null;
  const [nx, ny] = [f.head.shape[0], f.head.shape[1] || 1];
  const i = Math.floor(fx * nx), j = Math.floor(fy * ny);
  return { i, j, k: i * ny + j, coords: f.head.dims.map((d, a) => f.head.coords[d][a ? j : i]) };
}

// The mouse position in the map canvas's pixels, for events on any element.
function mapXY(ev) {
  const r = $("overlay").getBoundingClientRect();
  return [ev.clientX - r.left, ev.clientY - r.top];
}

// While the button is held: a shift-drag draws its zoom box, a plain drag moves the image.
function onDrag(ev) {
  const drag = state.drag;
  if (!drag) return;
  [drag.x1, drag.y1] = mapXY(ev);
  drag.moved ||= Math.hypot(drag.x1 - drag.x0, drag.y1 - drag.y0) > 4;
  if (drag.moved && !drag.zoom) drawPanned(drag.x1 - drag.x0, drag.y1 - drag.y0);
  drawOverlay();
}

function onHover(ev) {
  const cell = cellAt(ev.offsetX, ev.offsetY);
  if (!cell) return;
  const f = state.frame;
  const names = f.head.dims.map((d, a) => `${d} = ${fmt(cell.coords[a])}`).join("   ");
  const v = f.values[cell.k];
  const info = (state.info || {})[f.head.measure];
  const what = info ? `${f.head.measure} (${info.description})` : f.head.measure;
  $("readout").textContent = `${names}\n${what} = ${Number.isFinite(v) ? fmt(v) : v}` +
    (f.diverged[cell.k] ? "  (diverged)" : "");
}

function onDown(ev) {
  if (ev.button !== 0 || !cellAt(ev.offsetX, ev.offsetY)) return;
  ev.preventDefault();  // no text selection while dragging; the keys go to the page again
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  const zoom = ev.shiftKey;
  state.drag = { x0: ev.offsetX, y0: ev.offsetY, x1: ev.offsetX, y1: ev.offsetY, moved: false,
    zoom, axes: state.frame.axes, snap: zoom ? null : snapshot() };
}

// The view moved by a drag of (dx, dy) pixels: the landscape follows the cursor, so the
// window moves the other way by the dragged fraction of its width (and height).
function pannedAxes(axes, dx, dy, n) {
  const b = plotBox();
  const move = (ax, frac) => {
    const [l, r] = uEdges(ax);
    const [l2, r2] = [l - frac * (r - l), r - frac * (r - l)];
    const du = (r2 - l2) / n;
    return { ...ax, n, a: fromU(ax, l2 + du / 2), b: fromU(ax, r2 - du / 2) };
  };
  const next = [move(axes[0], dx / b.w)];
  if (axes.length > 1) next.push(move(axes[1], -dy / b.h));
  return next;
}

function onUp() {
  const drag = state.drag;
  state.drag = null;
  if (!drag) return;
  if (!drag.moved) { drawOverlay(); pick(cellAt(drag.x0, drag.y0)); return; }
  if (!drag.zoom) {
    const next = pannedAxes(drag.axes, drag.x1 - drag.x0, drag.y1 - drag.y0,
      Number($("resolution").value));
    state.history.push(state.axes);
    show(next);
    return;
  }
  const axes = state.frame.axes;
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const [fx0, fy0] = pixelToFrac(Math.min(drag.x0, drag.x1), Math.max(drag.y0, drag.y1));
  const [fx1, fy1] = pixelToFrac(Math.max(drag.x0, drag.x1), Math.min(drag.y0, drag.y1));
  const n = Number($("resolution").value);
  const zoom = (ax, f0, f1) => ({ ...ax, n, a: fromU(ax, fracToU(ax, clamp(f0))),
    b: fromU(ax, fracToU(ax, clamp(f1))) });
  const next = [zoom(axes[0], fx0, fx1)];
  if (axes.length > 1) next.push(zoom(axes[1], fy0, fy1));
  state.history.push(state.axes);
  state.picked = null; state.arrows = null;
  show(next);
}

// Wheel: zoom about the cursor (each notch 15%); the view settles 200 ms after the last.
function onWheel(ev) {
  if (!state.frame || !cellAt(ev.offsetX, ev.offsetY)) return;
  ev.preventDefault();
  const f = Math.exp(Math.sign(ev.deltaY) * Math.min(Math.abs(ev.deltaY), 200) * 0.0015);
  const [fx, fy] = pixelToFrac(ev.offsetX, ev.offsetY);
  const n = Number($("resolution").value);
  const zoom = (ax, frac) => {
    const [l, r] = uEdges(ax);
    const c = l + frac * (r - l);
    const [l2, r2] = [c - (c - l) * f, c + (r - c) * f];
    const du = (r2 - l2) / n;
    return { ...ax, n, a: fromU(ax, l2 + du / 2), b: fromU(ax, r2 - du / 2) };
  };
  const axes = state.axes;
  const next = [zoom(axes[0], fx)];
  if (axes.length > 1) next.push(zoom(axes[1], fy));
  if (!state.wheel) state.history.push(axes);
  state.axes = next;
  clearTimeout(state.wheel);
  state.wheel = setTimeout(() => { state.wheel = null; show(state.axes); }, 200);
}

function back() {
  if (!state.history.length) return;
  state.picked = null; state.arrows = null;
  show(state.history.pop());
}

// ---- a picked point: its run, its gradients --------------------------------------------

async function pick(cell) {
  if (!cell) return;
  const axes = state.frame.axes;
  const u = cell.coords.map((c, a) => uOfValue(axes[a].kind, c));
  state.picked = { u, value: state.frame.values[cell.k] }; state.arrows = null;
  drawOverlay();
  const point = new URLSearchParams();
  axes.forEach((ax, a) => point.append(ax.name, String(cell.coords[a])));
  $("run-info").textContent = "running ...";
  try {
    const run = await getJSON("/api/run?" + point);
    $("run-info").textContent = Object.entries(run.hparams).map(([k, v]) => `${k} = ${fmt(v)}`)
      .join("   ") + `\nouter loss ${run.outer_loss === null ? "not finite" : fmt(run.outer_loss)}` +
      (run.diverged ? " (diverged)" : "");
    plotCurve($("curve"), run.losses.map((v, s) => [s + 1, v]), "inner step", "training loss");
    plotTrajectory(run.trajectory);
  } catch (e) {
    $("run-info").textContent = e.message;
  }
  const coords = new URLSearchParams();
  axes.forEach((ax, a) => { coords.append(ax.name, String(u[a])); coords.append("param", `${ax.name}=${ax.kind}`); });
  state.gradCoords = coords;
  await gradients();
}

// The arrows' estimators, as picked (an empty picker draws no arrow).
async function gradients() {
  const axes = state.frame.axes, coords = state.gradCoords;
  if (!coords) return;
  const first = axes.length > 1 ? ["#ffffff", "white"] : ["#222222", "black"];
  const wanted = [[$("est-a").value.trim(), first[0]], [$("est-b").value.trim(), "#ff9f1c"]]
    .filter(([spec]) => spec !== "");
  try {
    const grads = await Promise.all(wanted.map(([spec]) =>
      getJSON(`/api/gradient?${coords}&estimator=${encodeURIComponent(spec)}`)));
    state.arrows = grads.map((g, k) => ({ color: wanted[k][1],
      g: axes.map((ax) => (g.gradient[ax.name] === null ? NaN : g.gradient[ax.name])) }));
    $("grad-info").textContent = grads.map((g, k) => `${wanted[k][1] === "#ff9f1c" ? "orange" : first[1]} arrow, ` +
      `${g.estimator}:\n  ` + axes.map((ax) => `d/du ${ax.name} = ${fmt(g.gradient[ax.name] ?? NaN)}`)
      .join("   ")).join("\n") + "\narrows: downhill directions (-gradient) in the map's coordinates";
    drawOverlay();
  } catch (e) {
    $("grad-info").textContent = e.message;
  }
}

function plotCurve(canvas, points, xlabel, ylabel, options) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, m = { l: 56, r: 10, t: 10, b: 34 };
  ctx.clearRect(0, 0, W, H);
  const ok = points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (!ok.length) { ctx.fillText("no finite values", m.l, H / 2); return; }
  const xs = ok.map((p) => p[0]), ys = ok.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) x1 = x0 + 1;
  if (y0 === y1) y1 = y0 + 1;
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  ctx.strokeStyle = "#333"; ctx.fillStyle = "#222"; ctx.font = "11px system-ui";
  ctx.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
  ctx.textAlign = "center";
  for (const t of niceTicks(x0, x1, 5)) ctx.fillText(fmt(t), sx(t), H - m.b + 14);
  ctx.fillText(xlabel, (W + m.l) / 2, H - 4);
  ctx.textAlign = "right";
  for (const t of niceTicks(y0, y1, 5)) ctx.fillText(fmt(t), m.l - 4, sy(t) + 4);
  ctx.save(); ctx.translate(12, (H - m.b) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center"; ctx.fillText(ylabel, 0, 0); ctx.restore();
  ctx.strokeStyle = "#1f6fb4"; ctx.lineWidth = 1.5; ctx.beginPath();
  let open = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) { open = false; continue; }
    if (open) ctx.lineTo(sx(x), sy(y)); else ctx.moveTo(sx(x), sy(y));
    open = true;
  }
  ctx.stroke();
  if (options && options.dots) {
    ctx.fillStyle = "#1f6fb4";
    for (const [x, y] of ok) ctx.fillRect(sx(x) - 1.5, sy(y) - 1.5, 3, 3);
  }
}

function plotTrajectory(traj) {
  const c = $("trajectory");
  if (!traj) { c.style.display = "none"; return; }
  c.style.display = "block";
  const num = (v) => (v === null ? NaN : v);
  if (traj[0].length === 1) {
    plotCurve(c, traj.map((p, s) => [s, num(p[0])]), "inner step", "inner parameter x");
  } else {
    plotCurve(c, traj.map((p) => [num(p[0]), num(p[1])]), "x[0]", "x[1]", { dots: true });
  }
}

// ---- start ------------------------------------------------------------------------------

function withResolution(axes, n) { return axes.map((ax) => ({ ...ax, n })); }

async function main() {
  const cfg = await getJSON("/api/config");
  $("problem").textContent = `${cfg.meta.problem} · ${cfg.meta.optimizer} · ` +
    `${cfg.meta.steps} steps · objective ${cfg.meta.objective}` +
    (Object.keys(cfg.meta.fixed).length ? ` · fixed ${JSON.stringify(cfg.meta.fixed)}` : "");
  for (const m of cfg.measures) $("measure").add(new Option(m, m, m === cfg.measure, m === cfg.measure));
  state.start = cfg.axes.map(parseAxis);
  const res = $("resolution");
  const n = state.start[0].n;
  if (![...res.options].some((o) => Number(o.value) === n)) res.add(new Option(n, n));
  res.value = String(n);
  const perAxis = Math.floor(cfg.max_points ** (1 / state.start.length));
  for (const o of [...res.options]) if (Number(o.value) > perAxis) o.remove();
  const overlay = $("overlay");
  overlay.addEventListener("mousemove", onHover);
  overlay.addEventListener("mousedown", onDown);
  window.addEventListener("mousemove", onDrag);
  window.addEventListener("mouseup", onUp);
  overlay.addEventListener("dblclick", back);
  $("back").addEventListener("click", back);
  $("reset").addEventListener("click", () => { state.history.push(state.axes);
    show(withResolution(state.start, Number(res.value))); });
  res.addEventListener("change", () => show(withResolution(state.axes, Number(res.value))));
  state.info = cfg.measure_info || {};
  const scaleFor = (m) => (state.info[m] || {}).scale || "linear";
  $("scale").value = scaleFor(cfg.measure);
  for (const spec of cfg.estimators || []) $("estimator-specs").append(new Option(spec, spec));
  for (const id of ["est-a", "est-b"]) $(id).addEventListener("change", () => gradients());
  $("determined").addEventListener("change", () => show(state.axes));
  window.addEventListener("keydown", (ev) => {
    const t = ev.target;  // typing in a text field or a select is not a command
    if ((t.tagName === "INPUT" && t.type !== "checkbox") || ["SELECT", "TEXTAREA"].includes(t.tagName)) return;
    if (ev.key === "r" || ev.key === "0") $("reset").click();
    else if (ev.key === "b" || ev.key === "Backspace") back();
  });
  $("measure").addEventListener("change", () => {
    $("scale").value = scaleFor($("measure").value);
    show(state.axes);
  });
  overlay.addEventListener("wheel", onWheel, { passive: false });
  for (const id of ["scale", "vmin", "vmax"]) $(id).addEventListener("change", () => state.frame && draw());
  await show(state.start);
}

main().catch((e) => setStatus(e.message, true));

// The share of undetermined pixels (their diverged flag differs at the next precision).
function determinedText(head) {
  if (head.determined_share === undefined) return "";
  return ` · undetermined ${(100 * (1 - head.determined_share)).toFixed(1)}% ` +
    `(${head.precision} vs ${head.determined_against}, grey)`;
}

// The divergence boundary's dimension by each estimator that applies to the view, named
// as in ml.analysis.boundary_dimension(method=...) (the atlas and the report use them).
function boundaryText(boundary) {
  const parts = Object.entries(boundary || {}).map(([m, e]) =>
    `${m} ${e.dimension.toFixed(3)} [${e.ci[0].toFixed(2)}, ${e.ci[1].toFixed(2)}]`);
  return parts.length ? ` · boundary dimension: ${parts.join(", ")}` : "";
}
