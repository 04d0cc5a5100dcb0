// The zone map: a Streamlit component (no build step) that draws every region once on a
// Leaflet canvas and afterwards only recolours it.
//
// The geometry arrives as a ZMG file (see zoning/mapdata.py for the format), fetched once
// per level and data version and kept in memory; each rerun of the page sends only the
// zone of every region and the tooltip values ("view"). Nothing from the data is ever
// written as HTML: names, labels and values go in with textContent.
//
// For tests and benchmarks, <body> carries data-drawn (regions drawn) and data-styled (the
// token of the view last painted).
"use strict";

(function () {
  const state = {
    map: null, renderer: null, group: null, layers: [], geometry: null, geometryId: null,
    loading: null, args: null, view: null, token: null, selected: null, legend: null,
    title: null, tiles: null, tipField: null, clickNonce: Math.random().toString(36).slice(2),
    clicks: 0, height: 0,
  };
  const BORDER = "#757575";
  const HOVER = { color: "#212121", weight: 2.5 };
  const SELECTED = { color: "#000000", weight: 3.5 };

  // --- the Streamlit component protocol (components v1) --------------------------------------
  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }
  function setHeight(height) {
    if (height !== state.height) {
      state.height = height;
      document.body.style.height = height + "px";
      send("streamlit:setFrameHeight", { height: height });
      if (state.map) state.map.invalidateSize();
    }
  }
  window.addEventListener("message", function (event) {
    if (event.data && event.data.type === "streamlit:render") render(event.data.args);
  });

  // --- reading ZMG ------------------------------------------------------------------------------
  async function bytesOf(args) {
    let stream;
    if (args.geometry_url) {
      const response = await fetch(args.geometry_url);
      if (!response.ok) throw new Error("HTTP " + response.status);
      stream = response.body;
    } else {
      const raw = Uint8Array.from(atob(args.geometry_data), function (c) { return c.charCodeAt(0); });
      stream = new Blob([raw]).stream();
    }
    const plain = stream.pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(plain).arrayBuffer());
  }

  function decode(bytes) {
    const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
    if (magic !== "ZMG1") throw new Error("not a ZMG file");
    const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size)));
    let pos = 8 + size;
    function varint() {
      let value = 0, scale = 1, byte;
      do {
        byte = bytes[pos++];
        value += (byte & 0x7f) * scale;
        scale *= 128;
      } while (byte >= 0x80);
      return value;
    }
    function many(count) {
      const out = new Array(count);
      for (let i = 0; i < count; i++) out[i] = varint();
      return out;
    }
    const n = header.counts[0], nPoly = header.counts[1], nRing = header.counts[2];
    const perFeature = many(n), perPoly = many(nPoly), perRing = many(nRing);
    const grid = header.grid, x0 = header.origin[0], y0 = header.origin[1];
    let x = 0, y = 0, p = 0, r = 0;
    function zig(v) { return v % 2 ? -(v + 1) / 2 : v / 2; }
    const shapes = new Array(n);
    for (let f = 0; f < n; f++) {
      const polygons = [];
      for (let k = 0; k < perFeature[f]; k++, p++) {
        const rings = [];
        for (let j = 0; j < perPoly[p]; j++, r++) {
          const ring = new Array(perRing[r]);
          for (let i = 0; i < ring.length; i++) {
            x += zig(varint());
            y += zig(varint());
            ring[i] = [y0 + y * grid, x0 + x * grid];
          }
          rings.push(ring);
        }
        polygons.push(rings);
      }
      shapes[f] = polygons;
    }
    return { header: header, shapes: shapes };
  }

  // --- drawing ----------------------------------------------------------------------------------
  function ensureMap() {
    if (state.map) return;
    state.renderer = L.canvas({ padding: 0.3, tolerance: 3 });
    state.map = L.map("map", {
      preferCanvas: true, renderer: state.renderer, zoomSnap: 0.25, attributionControl: true,
    });
    state.map.attributionControl.setPrefix(false);
    state.map.setView([-7.2, 110.1], 7);
  }

  function drawGeometry(geometry) {
    const map = state.map;
    if (state.group) map.removeLayer(state.group);
    const layers = new Array(geometry.shapes.length);
    const group = L.featureGroup();
    let drawn = 0;
    for (let i = 0; i < geometry.shapes.length; i++) {
      const shape = geometry.shapes[i];
      if (!shape.length) continue;
      const layer = L.polygon(shape.length === 1 ? shape[0] : shape, {
        renderer: state.renderer, color: BORDER, weight: 0.6, fillOpacity: 0.8,
        fillColor: "#bdbdbd",
      });
      layer.zmIndex = i;
      layers[i] = layer;
      group.addLayer(layer);
      drawn++;
    }
    group.on("mouseover", function (e) { hover(e.layer, true); });
    group.on("mouseout", function (e) { hover(e.layer, false); });
    group.on("click", function (e) { pick(e.layer); });
    group.bindTooltip(function (layer) { return tooltip(layer.zmIndex); }, {
      sticky: true, direction: "auto", opacity: 0.95, className: "zm-tip",
    });
    const box = geometry.header.bbox;
    if (box && box[0] !== null) {
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [8, 8], animate: false });
    }
    group.addTo(map);
    state.group = group;
    state.layers = layers;
    state.selected = null;
    return drawn;
  }

  function baseStyle(index) {
    const view = state.view;
    let zone = view && index < view.zones.length ? view.zones[index] : -1;
    if (zone < 0 || zone >= view.colours.length - 1) zone = view ? view.colours.length - 1 : 0;
    return view ? view.colours[zone] : "#bdbdbd";
  }

  function paint(view) {
    state.view = view;
    for (let i = 0; i < state.layers.length; i++) {
      const layer = state.layers[i];
      if (!layer) continue;
      const fill = baseStyle(i);
      if (layer.options.fillColor !== fill) layer.setStyle({ fillColor: fill });
    }
  }

  function outline(layer, on) {
    if (!layer) return;
    const selected = layer === state.selected;
    const style = on ? HOVER : selected ? SELECTED : { color: BORDER, weight: 0.6 };
    layer.setStyle(style);
    if (on || selected) layer.bringToFront();
  }

  function hover(layer, on) { outline(layer, on); }

  function select(code) {
    const previous = state.selected;
    state.selected = null;
    if (previous) outline(previous, false);
    if (!code || !state.geometry) return;
    const index = state.geometry.header.codes.indexOf(code);
    const layer = index >= 0 ? state.layers[index] : null;
    if (layer) {
      state.selected = layer;
      outline(layer, false);
    }
  }

  function pick(layer) {
    state.clicks += 1;
    send("streamlit:setComponentValue", {
      value: { code: state.geometry.header.codes[layer.zmIndex],
        click: state.clickNonce + "-" + state.clicks },
      dataType: "json",
    });
  }

  // --- text: always textContent ------------------------------------------------------------------
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function formatter(decimals) {
    const locale = state.args && state.args.lang === "en" ? "en-GB" : "id-ID";
    return new Intl.NumberFormat(locale, {
      minimumFractionDigits: decimals, maximumFractionDigits: decimals,
    });
  }

  function show(value, decimals) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "string") return value;
    return formatter(decimals).format(value);
  }

  function tooltip(index) {
    const header = state.geometry.header, view = state.view || { fields: [], zones: [] };
    const box = el("div");
    box.appendChild(el("div", header.names[index], "zm-name"));
    const table = el("table");
    function row(label, value) {
      const tr = el("tr");
      tr.appendChild(el("td", label));
      tr.appendChild(el("td", value, "zm-v"));
      table.appendChild(tr);
    }
    if (view.labels) {
      let zone = view.zones[index];
      if (zone === undefined || zone < 0) zone = view.labels.length - 1;
      row(view.zone_label, view.labels[zone]);
    }
    for (const field of view.fields) row(field.label, show(field.values[index], field.decimals));
    if (view.population_label) row(view.population_label, show(header.population[index], 0));
    box.appendChild(table);
    return box;
  }

  function legendControl(args) {
    const view = args.view;
    const key = JSON.stringify([view.legend, view.title, args.legend_size]);
    if (state.legend && state.legend.key === key) return;
    if (state.legend) state.map.removeControl(state.legend);
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      const box = el("div", null, "zm-box zm-legend");
      box.setAttribute("role", "list");
      if (args.legend_size) box.style.fontSize = args.legend_size + "px";
      if (args.legend_size) box.style.lineHeight = Math.round(args.legend_size * 1.55) + "px";
      if (view.title) box.appendChild(el("div", view.title, "zm-title"));
      for (const [label, colour] of view.legend) {
        const item = el("div");
        item.setAttribute("role", "listitem");
        const swatch = el("span", null, "zm-swatch");
        swatch.style.background = colour;
        swatch.setAttribute("aria-hidden", "true");
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(label));
        box.appendChild(item);
      }
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(state.map);
    control.key = key;
    state.legend = control;
  }

  function tileLayer(args) {
    const key = JSON.stringify([args.tiles, args.attribution]);
    if (state.tiles && state.tiles.key === key) return;
    if (state.tiles) state.map.removeLayer(state.tiles);
    state.tiles = null;
    if (args.tiles) {
      state.tiles = L.tileLayer(args.tiles, { attribution: args.attribution || "" });
      state.tiles.key = key;
      state.tiles.addTo(state.map);
    }
  }

  function message(text) {
    const box = document.getElementById("message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function afterPaint(fn) {
    requestAnimationFrame(function () { requestAnimationFrame(fn); });
  }

  // --- one render per rerun of the page ---------------------------------------------------------
  async function render(args) {
    state.args = args;
    setHeight(args.height || 560);
    ensureMap();
    tileLayer(args);
    if (args.geometry_id !== state.geometryId) {
      const id = args.geometry_id;
      if (state.loading !== id) {
        state.loading = id;
        message(args.messages && args.messages.loading);
        let geometry;
        try {
          geometry = decode(await bytesOf(args));
        } catch (err) {
          if (state.loading === id) {
            state.loading = null;
            message((args.messages && args.messages.failed) + " (" + err.message + ")");
          }
          return;
        }
        if (state.loading !== id) return; // a newer level was asked for meanwhile
        state.loading = null;
        state.geometry = geometry;
        state.geometryId = id;
        state.view = null;
        const drawn = drawGeometry(geometry);
        message(null);
        document.body.dataset.drawn = "0";
        apply(state.args);
        afterPaint(function () { document.body.dataset.drawn = String(drawn); });
      }
      return;
    }
    apply(args);
  }

  function apply(args) {
    if (!state.geometry) return;
    legendControl(args);
    if (args.token !== state.token || !state.view) {
      paint(args.view);
      state.token = args.token;
      const token = args.token;
      afterPaint(function () {
        if (state.token === token) document.body.dataset.styled = token;
      });
    } else {
      state.view = args.view;
    }
    const current = state.selected ? state.geometry.header.codes[state.selected.zmIndex] : null;
    if ((args.selected || null) !== current) select(args.selected);
  }

  // What tests and benchmarks read: the regions drawn, their fills, and where one is.
  window.zoneMap = {
    shapes: function () {
      return state.layers.filter(Boolean).map(function (layer) {
        return { code: state.geometry.header.codes[layer.zmIndex], fill: layer.options.fillColor };
      });
    },
    centre: function (code) {
      const layer = state.layers[state.geometry.header.codes.indexOf(code)];
      const point = state.map.latLngToContainerPoint(layer.getCenter());
      return { x: point.x, y: point.y };
    },
  };

  send("streamlit:componentReady", { apiVersion: 1 });
})();
