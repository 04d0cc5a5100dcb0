// The zone map: a Streamlit component (no build step) that draws every region once and
// afterwards only recolours it.
//
// The geometry arrives as a ZMG file (see zoning/mapdata.py for the format), fetched once
// per level and data version and kept in memory as Web Mercator coordinates; each rerun
// of the page sends only the zone of every region and the tooltip values ("view"). The
// regions are painted by one Leaflet layer onto one canvas, a path per region, and
// found under the mouse with a grid index and a point-in-polygon test: thousands of
// villages stay quick where one Leaflet polygon per region would not. Nothing from the data
// is ever written as HTML: names, labels and values go in with textContent.
//
// For tests and benchmarks, <body> carries data-drawn (regions drawn) and data-styled (the
// token of the view last painted), and window.zoneMap answers what is drawn where.
"use strict";

(function () {
  const state = {
    map: null, layer: null, geometry: null, geometryId: null, loading: null, args: null,
    view: null, token: null, selected: -1, hovered: -1, legend: null, note: null, tiles: null,
    tip: null, source: null, playing: null, player: null, timer: null, share: null,
    fit: null, moved: false, fitting: false,
    folder: null, detail: {}, tips: {}, zonesOf: new Map(),
    clickNonce: Math.random().toString(36).slice(2), clicks: 0, height: 0,
  };
  const BORDER = "#757575";
  const NO_DATA = "#bdbdbd";
  // Neighbours drawn around the regions shown, and names on the map (text #212121 and
  // #424242 on a white halo: contrast above 10:1 and 9:1).
  const CONTEXT_FILL = "#eeeeee";
  // px: a region smaller than this on screen (both sides) is drawn as its box, filled, with
  // no border: its outline would be all border and no colour, and tracing it costs the most
  // (all Indonesia's 83,000 villages at the zoom that shows them whole: most are 1-2 px)
  const SPECK = 2.5;
  const CONTEXT_LINE = "#616161";
  const CONTEXT_TEXT = "#424242";
  const NAME_TEXT = "#212121";
  const NAME_FONT = "600 11px 'Source Sans Pro', 'DejaVu Sans', sans-serif";
  const GRID = 64;
  // the zones' colours over what is under them (a tile layer, when one is configured)
  const FILL_OPACITY = 0.8;

  // --- the Streamlit component protocol (components v1) --------------------------------------
  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }
  function setHeight(height) {
    if (height !== state.height) {
      state.height = height;
      document.body.style.height = height + "px";
      send("streamlit:setFrameHeight", { height: height });
      if (state.map && state.moved) state.map.invalidateSize();
      else fitView();
    }
  }
  window.addEventListener("message", function (event) {
    if (event.data && event.data.type === "streamlit:render") render(event.data.args);
  });

  // --- reading ZMG into Web Mercator "world" coordinates (0..1) --------------------------------
  // The map's files are gzip files. The dashboard's server sends them with Content-Encoding
  // gzip, so they arrive inflated by the browser's network thread; served otherwise (plain
  // Streamlit, a proxy) they arrive as stored, and are inflated here.
  async function fetched(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error("HTTP " + response.status);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(await inflated(bytes)) : bytes;
  }

  function inflated(raw) {
    const plain = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(plain).arrayBuffer();
  }

  function unzipped(base64) {
    return inflated(Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); }));
  }

  async function bytesOf(args) {
    if (args.geometry_url) return fetched(args.geometry_url);
    return new Uint8Array(await unzipped(args.geometry_data));
  }

  // The header and the regions (Web Mercator rings and boxes) of a ZMG file: a level's, or
  // a detail tile of a tiled level (whose regions are the ids header.ids).
  function decodeParts(bytes) {
    const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
    if (magic !== "ZMG1") throw new Error("not a ZMG file");
    const size = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size)));
    const end = bytes.length;
    let pos = 8 + size;
    function varint() {  // an unsigned LEB128 varint
      let value = 0, scale = 1, byte;
      do {
        byte = bytes[pos++];
        value += (byte & 0x7f) * scale;
        scale *= 128;
      } while (byte >= 0x80);
      return value;
    }
    function zig(v) { return v % 2 ? -(v + 1) / 2 : v / 2; }
    function many(count) {
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = varint();
      return out;
    }
    const n = header.counts[0], nPoly = header.counts[1], nRing = header.counts[2];
    const perFeature = many(n), perPoly = many(nPoly), perRing = many(nRing);
    const grid = header.grid, x0 = header.origin[0], y0 = header.origin[1];
    const toY = mercatorRows(header);
    // every ring's points in one array, a ring being its [start, end) in it: one typed array
    // per ring cost 0.6 µs each (50 ms for Indonesia's 87,000 village rings)
    const xy = new Float64Array(2 * header.counts[3]);
    let x = 0, y = 0, p = 0, r = 0, at = 0;
    const features = new Array(n);
    for (let f = 0; f < n; f++) {
      const rings = [];
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (let k = 0; k < perFeature[f]; k++, p++) {
        for (let j = 0; j < perPoly[p]; j++, r++) {
          const stop = at + 2 * perRing[r];
          rings.push(at, stop);
          for (; at < stop; at += 2) {
            x += zig(varint());
            y += zig(varint());
            const wx = (x0 + x * grid + 180) / 360, wy = toY(y);
            xy[at] = wx;
            xy[at + 1] = wy;
            if (wx < minX) minX = wx;
            if (wx > maxX) maxX = wx;
            if (wy < minY) minY = wy;
            if (wy > maxY) maxY = wy;
          }
        }
      }
      features[f] = { xy: xy, rings: rings, box: [minX, minY, maxX, maxY], idx: f };
    }
    if (pos > end) throw new Error("ZMG file cut short");
    const labels = (header.labels || []).map(function (p) {
      return p ? [(x0 + p[0] * grid + 180) / 360, toY(p[1])] : null;
    });
    return { header: header, features: features, labels: labels };
  }

  // Web Mercator's y (0 at the top of the world, 1 at the foot) of the grid row ``y`` of a
  // ZMG file: from a table of every row of the file's box (at most MERCATOR_ROWS of them,
  // filled as rows are met), else worked out each time.
  const MERCATOR_ROWS = 1 << 20;
  function mercatorRows(header) {
    const grid = header.grid, y0 = header.origin[1];
    const RAD = Math.PI / 180, TWO_PI = 2 * Math.PI;
    function exact(y) {
      const lat = y0 + y * grid;
      return 0.5 - Math.log(Math.tan(Math.PI / 4 + lat * RAD / 2)) / TWO_PI;
    }
    const box = header.bbox;
    const rows = box && box[3] !== null ? Math.ceil((box[3] - y0) / grid) + 2 : 0;
    if (!(rows > 0 && rows <= MERCATOR_ROWS)) return exact;
    const table = new Float64Array(rows).fill(NaN);
    return function (y) {
      if (y >= 0 && y < rows) {
        let v = table[y];
        if (v !== v) v = table[y] = exact(y);
        return v;
      }
      return exact(y);
    };
  }

  function decode(bytes) {
    const parts = decodeParts(bytes), header = parts.header, n = parts.features.length;
    const context = header.context === undefined ? n : header.context;
    const labels = parts.labels.length ? parts.labels : new Array(n).fill(null);
    return { header: header, features: parts.features, labels: labels, context: context,
      index: gridIndex(parts.features), tiles: header.tiles || [], loaded: 0 };
  }

  // --- level of detail: a tiled level comes as coarse shapes of every region; once zoomed in
  // far enough that they would show (header.detail_zoom), the tiles in view are fetched and
  // their regions' shapes replace the coarse ones (same ids), with their names' places ------
  const MAX_DETAIL_TILES = 12;

  function wantDetail() {
    const g = state.geometry, map = state.map;
    if (!g || !g.tiles.length || !state.folder || map.getZoom() < g.header.detail_zoom) return;
    const b = map.getBounds();
    const west = b.getWest(), east = b.getEast(), south = b.getSouth(), north = b.getNorth();
    const wanted = g.tiles.filter(function (t) {
      return t[0] <= east && t[2] >= west && t[1] <= north && t[3] >= south;
    });
    if (wanted.length > MAX_DETAIL_TILES) return;
    for (const tile of wanted) {
      const name = tile[4];
      if (state.detail[name]) continue;
      state.detail[name] = "loading";
      fetched(state.folder + name).then(function (bytes) {
        if (state.geometry !== g) return;
        const part = decodeParts(bytes), ids = part.header.ids;
        part.features.forEach(function (feature, k) {
          if (feature.rings.length) g.features[ids[k]] = feature;
          if (part.labels[k]) g.labels[ids[k]] = part.labels[k];
        });
        g.index = gridIndex(g.features);
        g.loaded += 1;
        state.detail[name] = "done";
        document.body.dataset.detail = String(g.loaded);
        state.layer.redraw();
      }).catch(function () { delete state.detail[name]; });
    }
  }

  // Every feature listed in the cells of a GRID x GRID grid its box touches: the features
  // of cell c are items[starts[c]] to items[starts[c + 1] - 1], in the order of the level.
  function gridIndex(features) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const f of features) {
      if (!f.rings.length) continue;
      minX = Math.min(minX, f.box[0]); minY = Math.min(minY, f.box[1]);
      maxX = Math.max(maxX, f.box[2]); maxY = Math.max(maxY, f.box[3]);
    }
    const w = (maxX - minX) / GRID || 1e-12, h = (maxY - minY) / GRID || 1e-12;
    function col(v) { return Math.min(GRID - 1, Math.max(0, Math.floor((v - minX) / w))); }
    function row(v) { return Math.min(GRID - 1, Math.max(0, Math.floor((v - minY) / h))); }
    const starts = new Int32Array(GRID * GRID + 1);
    // twice over the features: count each cell's, then place them (no array per cell)
    for (let pass = 0; pass < 2; pass++) {
      const items = pass ? new Int32Array(starts[GRID * GRID]) : null;
      const next = pass ? starts.slice() : null;
      for (let i = 0; i < features.length; i++) {
        const f = features[i];
        if (!f.rings.length) continue;
        const a0 = col(f.box[0]), a1 = col(f.box[2]), b0 = row(f.box[1]), b1 = row(f.box[3]);
        for (let b = b0; b <= b1; b++) {
          for (let a = a0; a <= a1; a++) {
            if (pass) items[next[b * GRID + a]++] = i;
            else starts[b * GRID + a + 1] += 1;
          }
        }
      }
      if (pass) return { starts: starts, items: items, col: col, row: row,
        box: [minX, minY, maxX, maxY] };
      for (let c = 0; c < GRID * GRID; c++) starts[c + 1] += starts[c];
    }
  }

  function inside(feature, wx, wy) {
    const b = feature.box;
    if (wx < b[0] || wx > b[2] || wy < b[1] || wy > b[3]) return false;
    const xy = feature.xy, rings = feature.rings;
    let odd = false;
    for (let k = 0; k < rings.length; k += 2) {
      const start = rings[k], stop = rings[k + 1];
      for (let i = start, j = stop - 2; i < stop; j = i, i += 2) {
        const yi = xy[i + 1], yj = xy[j + 1];
        if ((yi > wy) !== (yj > wy) &&
            wx < (xy[j] - xy[i]) * (wy - yi) / (yj - yi) + xy[i]) odd = !odd;
      }
    }
    return odd;
  }

  function featureAt(wx, wy) {
    const g = state.geometry;
    if (!g) return -1;
    const ix = g.index;
    if (wx < ix.box[0] || wx > ix.box[2] || wy < ix.box[1] || wy > ix.box[3]) return -1;
    const c = ix.row(wy) * GRID + ix.col(wx);
    for (let k = ix.starts[c]; k < ix.starts[c + 1]; k++) {
      const i = ix.items[k];
      if (i < g.context && inside(g.features[i], wx, wy)) return i;
    }
    return -1;
  }

  // --- the layer: every region on one canvas, outlines of the hovered/selected on another -----
  function scaleOf(map) { return 256 * Math.pow(2, map.getZoom()); }

  function worldOf(map, layerPoint) {
    const s = scaleOf(map), o = map.getPixelOrigin();
    return [(layerPoint.x + o.x) / s, (layerPoint.y + o.y) / s];
  }

  const ZoneLayer = L.Layer.extend({
    options: { padding: 0.3 },

    onAdd: function (map) {
      this._fill = L.DomUtil.create("canvas", "leaflet-zoom-hide");
      this._line = L.DomUtil.create("canvas", "leaflet-zoom-hide");
      for (const c of [this._fill, this._line]) {
        c.style.position = "absolute";
        c.style.pointerEvents = "none";
        map.getPane("overlayPane").appendChild(c);
      }
      map.on("moveend zoomend viewreset resize", this.redraw, this);
      this.redraw();
    },

    onRemove: function (map) {
      map.off("moveend zoomend viewreset resize", this.redraw, this);
      L.DomUtil.remove(this._fill);
      L.DomUtil.remove(this._line);
    },

    // Draw once in the next frame, however many times this is asked meanwhile.
    redraw: function () {
      if (this._pending) return;
      this._pending = true;
      const self = this;
      requestAnimationFrame(function () {
        self._pending = false;
        if (!self._map) return;
        const start = performance.now();
        self._position();
        self._draw();
        self.lastDraw = Math.round(performance.now() - start);
        wantDetail();
      });
    },

    _position: function () {
      const map = this._map, size = map.getSize(), pad = this.options.padding;
      this._min = map.containerPointToLayerPoint(size.multiplyBy(-pad)).round();
      this._size = size.multiplyBy(1 + 2 * pad).round();
      const ratio = window.devicePixelRatio || 1;
      for (const c of [this._fill, this._line]) {
        L.DomUtil.setPosition(c, this._min);
        c.width = Math.round(this._size.x * ratio);
        c.height = Math.round(this._size.y * ratio);
        c.style.width = this._size.x + "px";
        c.style.height = this._size.y + "px";
      }
    },

    // the transform from world coordinates to this canvas's pixels
    _frame: function () {
      const map = this._map, s = scaleOf(map), o = map.getPixelOrigin();
      return { s: s, dx: -o.x - this._min.x, dy: -o.y - this._min.y };
    },

    _trace: function (ctx, feature, f) {
      const xy = feature.xy, rings = feature.rings;
      for (let k = 0; k < rings.length; k += 2) {
        const start = rings[k], stop = rings[k + 1];
        let lx = xy[start] * f.s + f.dx, ly = xy[start + 1] * f.s + f.dy;
        ctx.moveTo(lx, ly);
        for (let i = start + 2; i < stop; i += 2) {
          const px = xy[i] * f.s + f.dx, py = xy[i + 1] * f.s + f.dy;
          if (i < stop - 2 && Math.abs(px - lx) < 0.6 && Math.abs(py - ly) < 0.6) continue;
          ctx.lineTo(px, py);
          lx = px;
          ly = py;
        }
        ctx.closePath();
      }
    },

    _draw: function () {
      const g = state.geometry, ctx = this._fill.getContext("2d");
      const ratio = window.devicePixelRatio || 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, this._size.x, this._size.y);
      if (g) {
        const f = this._frame();
        const x0 = -f.dx / f.s, y0 = -f.dy / f.s;
        const x1 = (this._size.x - f.dx) / f.s, y1 = (this._size.y - f.dy) / f.s;
        const groups = new Map(), around = [];
        g.features.forEach(function (feature, i) {
          const b = feature.box;
          if (!feature.rings.length || b[2] < x0 || b[0] > x1 || b[3] < y0 || b[1] > y1) return;
          if (i >= g.context) {
            around.push(feature);
            return;
          }
          const colour = fillOf(i);
          if (!groups.has(colour)) groups.set(colour, []);
          groups.get(colour).push(feature);
        });
        // the neighbours around the regions shown: named outlines with no zone
        ctx.lineJoin = "round";
        for (const feature of around) {
          ctx.beginPath();
          this._trace(ctx, feature, f);
          ctx.fillStyle = CONTEXT_FILL;
          ctx.fill("evenodd");
          ctx.lineWidth = 1.2;
          ctx.strokeStyle = CONTEXT_LINE;
          ctx.stroke();
        }
        ctx.lineWidth = 0.6;
        ctx.strokeStyle = BORDER;
        ctx.lineJoin = "round";
        // A path per region: Chromium fills thousands of small paths ~20x faster than one
        // path of thousands of rings (measured: 40 ms against 1 s for 8,563 villages).
        const view = state.view, zones = view ? view.colours.length - 1 : 0;
        const patterns = {}, outlined = [];
        let striped = 0;
        const unsure = markOf("uncertain"), hot = markOf("hotspot");
        const decided = DECISIONS.map(function (name) { return [name, markOf(name)]; })
          .filter(function (pair) { return pair[1]; });
        const badges = [];
        if (unsure) patterns.unsure = hatchPattern(ctx, "unsure");
        this._specks(ctx, f, groups);
        for (const [colour, members] of groups) {
          const zone = view ? view.colours.indexOf(colour) : -1;
          const kind = hatchOf(zone, zones);
          if (kind && !patterns[kind]) patterns[kind] = hatchPattern(ctx, kind);
          for (const feature of members) {
            const b = feature.box;
            const bw = (b[2] - b[0]) * f.s, bh = (b[3] - b[1]) * f.s;
            const speck = bw < SPECK && bh < SPECK;
            const box = speck && [b[0] * f.s + f.dx, b[1] * f.s + f.dy, Math.max(bw, 1),
              Math.max(bh, 1)];
            if (!speck) {
              ctx.beginPath();
              this._trace(ctx, feature, f);
            }
            const fill = function (style) {  // the region's shape, or its box for a speck
              ctx.fillStyle = style;
              if (speck) ctx.fillRect(box[0], box[1], box[2], box[3]);
              else ctx.fill("evenodd");
            };
            if (!speck) {  // a speck's colour is already in (_specks)
              ctx.globalAlpha = FILL_OPACITY;
              fill(colour);
              ctx.globalAlpha = 1;
            }
            if (kind && bw > 6 && bh > 6) fill(patterns[kind]);
            if (unsure && unsure[feature.idx]) {  // an uncertain zone: striped, not a colour
              fill(patterns.unsure);
              striped += 1;
            }
            if (!speck) ctx.stroke();
            if (hot && hot[feature.idx]) outlined.push(feature);
            for (const [name, flags] of decided) {
              if (flags[feature.idx]) badges.push([feature, name]);
            }
          }
        }
        // hot spots: a dashed black outline on a white one, over the zones around them
        for (const [width, colour, dash] of [[2.5, "#ffffff", []], [1.5, "#000000", [5, 3]]]) {
          ctx.setLineDash(dash);
          ctx.lineWidth = width;
          ctx.strokeStyle = colour;
          for (const feature of outlined) {
            ctx.beginPath();
            this._trace(ctx, feature, f);
            ctx.stroke();
          }
        }
        ctx.setLineDash([]);
        const shown = this._badges(ctx, f, badges);
        document.body.dataset.marked = JSON.stringify(Object.assign({
          uncertain: striped, hotspot: outlined.length,
        }, shown));
        this._names(ctx, f, x0, y0, x1, y1);
      }
      this.redrawOutlines();
    },

    // The regions smaller than SPECK px on screen, each as the pixels of its box in its
    // zone's colour (at FILL_OPACITY, as the shapes), put into an image drawn at once: a
    // fillRect each cost 0.5 µs, 40 ms for all Indonesia's villages, the image 5-10 ms.
    _specks: function (ctx, f, groups) {
      const ratio = window.devicePixelRatio || 1, w = this._fill.width, h = this._fill.height;
      let data = null;
      for (const [colour, members] of groups) {
        let rgba = null;
        for (const feature of members) {
          const b = feature.box, bw = (b[2] - b[0]) * f.s, bh = (b[3] - b[1]) * f.s;
          if (bw >= SPECK || bh >= SPECK) continue;
          if (!data) {
            if (!this._speckImage || this._speckImage.width !== w ||
                this._speckImage.height !== h) this._speckImage = new ImageData(w, h);
            data = this._speckImage.data;
            data.fill(0);
          }
          if (!rgba) rgba = rgbaOf(colour, FILL_OPACITY);
          const left = (b[0] * f.s + f.dx) * ratio, top = (b[1] * f.s + f.dy) * ratio;
          const x0 = Math.round(left), y0 = Math.round(top);
          const x1 = Math.min(w, Math.max(x0 + 1, Math.round(left + Math.max(bw, 1) * ratio)));
          const y1 = Math.min(h, Math.max(y0 + 1, Math.round(top + Math.max(bh, 1) * ratio)));
          for (let y = Math.max(0, y0); y < y1; y++) {
            for (let x = Math.max(0, x0), o = 4 * (y * w + x); x < x1; x++, o += 4) {
              data[o] = rgba[0];
              data[o + 1] = rgba[1];
              data[o + 2] = rgba[2];
              data[o + 3] = rgba[3];
            }
          }
        }
      }
      if (!data) return;
      if (!this._speckCanvas) this._speckCanvas = document.createElement("canvas");
      const canvas = this._speckCanvas;
      canvas.width = w;
      canvas.height = h;
      canvas.getContext("2d").putImageData(this._speckImage, 0, 0);
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(canvas, 0, 0);
      ctx.restore();
    },

    // What a zone rests on, as a symbol in a white disc (never colour alone): confirmed,
    // set by an official, awaiting confirmation. Drawn above the region's name place where
    // the region is large enough on screen to hold it; the tooltip and panel always say it.
    // Returns, per kind, the regions marked in view and how many of them got a symbol.
    _badges: function (ctx, f, badges) {
      const g = state.geometry, out = {};
      for (const [feature, name] of badges) {
        const b = feature.box;
        const w = (b[2] - b[0]) * f.s, h = (b[3] - b[1]) * f.s;
        const count = out[name] || (out[name] = [0, 0]);
        count[0] += 1;
        if (w < BADGE_MIN || h < BADGE_MIN) continue;
        const p = g.labels[feature.idx] || [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
        const x = p[0] * f.s + f.dx, y = p[1] * f.s + f.dy - (h >= 40 ? 15 : 0);
        drawBadge(ctx, x, y, name, 7);
        count[1] += 1;
      }
      const ordered = {};  // in the legend's order, whatever order they were drawn in
      for (const name of DECISIONS) if (out[name]) ordered[name] = out[name];
      return ordered;
    },

    // Region names where the zoom leaves room for them (phones have no hover): larger
    // regions first, none overlapping another, drawn as text on the canvas (never HTML).
    _names: function (ctx, f, x0, y0, x1, y1) {
      const g = state.geometry;
      if (!g.labels.length) return;
      ctx.font = NAME_FONT;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const widths = g.widths || (g.widths = new Map());
      const found = [];
      g.features.forEach(function (feature, i) {
        const p = g.labels[i], b = feature.box;
        if (!p || p[0] < x0 || p[0] > x1 || p[1] < y0 || p[1] > y1) return;
        const w = (b[2] - b[0]) * f.s, h = (b[3] - b[1]) * f.s;
        // the regions shown first, then their neighbours; larger first
        if (h >= 14 && w >= 24) found.push([(i < g.context ? 1e12 : 0) + w * h, i, w]);
      });
      found.sort(function (a, b) { return b[0] - a[0]; });
      const placed = [];
      for (const [, i, w] of found.slice(0, 600)) {
        const name = shortName(g.header.names[i]);
        if (!widths.has(i)) widths.set(i, ctx.measureText(name).width);
        const tw = widths.get(i);
        if (tw + 4 > 0.95 * w) continue;
        const x = g.labels[i][0] * f.s + f.dx, y = g.labels[i][1] * f.s + f.dy;
        const box = [x - tw / 2 - 3, y - 8, x + tw / 2 + 3, y + 8];
        if (placed.some(function (o) {
          return box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1];
        })) continue;
        placed.push(box);
        ctx.lineWidth = 3;
        ctx.strokeStyle = "rgba(255, 255, 255, 0.92)";
        ctx.strokeText(name, x, y);
        ctx.fillStyle = i >= g.context ? CONTEXT_TEXT : NAME_TEXT;
        ctx.fillText(name, x, y);
      }
      this.namesShown = placed.length;
    },

    redrawOutlines: function () {
      if (!this._map || !this._size) return;
      const g = state.geometry, ctx = this._line.getContext("2d");
      const ratio = window.devicePixelRatio || 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, this._size.x, this._size.y);
      if (!g) return;
      const f = this._frame();
      const marks = [[state.selected, "#000000", 3.5], [state.hovered, "#212121", 2.5]];
      for (const [i, colour, width] of marks) {
        if (i < 0 || !g.features[i]) continue;
        ctx.beginPath();
        this._trace(ctx, g.features[i], f);
        ctx.strokeStyle = colour;
        ctx.lineWidth = width;
        ctx.stroke();
      }
    },
  });

  // On the map a regency is named without "Kabupaten" (a city keeps "Kota": Kota Semarang
  // and Kabupaten Semarang stay apart); the tooltip and the panel give the whole name.
  function shortName(name) {
    return name.startsWith("Kabupaten ") ? name.slice(10) : name;
  }

  // Zones are never told by colour alone: the three most severe are hatched, the worst
  // cross-hatched, the next with diagonal lines, the next dotted (the legend shows the same).
  const HATCH = ["cross", "lines", "dots"];

  function hatchOf(zone, zones) {
    const rank = zones - 1 - zone;  // 0: the worst zone
    return zone >= 0 && rank >= 0 && rank < HATCH.length && zones > 2 ? HATCH[rank] : null;
  }

  // What a zone rests on (zoning.render.mapdata.DECISION_MARKS) and its symbol.
  const DECISIONS = ["confirmed", "overridden", "awaiting"];
  const BADGE = { confirmed: "\u2713", overridden: "\u2260", awaiting: "?" };
  const BADGE_MIN = 16;  // px: smaller regions get no symbol (the tooltip says it)

  function drawBadge(ctx, x, y, name, r) {
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = "#ffffff";
    ctx.fill();
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = "#212121";
    ctx.stroke();
    ctx.fillStyle = "#212121";
    ctx.font = "700 " + Math.round(r * 1.6) + "px 'DejaVu Sans', sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(BADGE[name], x, y + 0.5);
  }

  // A region's marks in the view (uncertain zone, hot spot): one flag per region, or null.
  function markOf(name) {
    const view = state.view;
    return view && view.marks && view.marks[name] && state.playing === null
      ? view.marks[name] : null;
  }

  function hatchTile(kind) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const c = tile.getContext("2d");
    if (kind === "unsure") {  // horizontal stripes, dark and white: seen on any zone colour
      c.fillStyle = "rgba(255, 255, 255, 0.85)";
      c.fillRect(0, 4, 8, 2);
      c.fillStyle = "rgba(0, 0, 0, 0.6)";
      c.fillRect(0, 0, 8, 1);
      return tile;
    }
    c.strokeStyle = "rgba(0, 0, 0, 0.45)";
    c.fillStyle = "rgba(0, 0, 0, 0.45)";
    c.lineWidth = 1;
    if (kind === "dots") {
      c.fillRect(1, 1, 2, 2);
      c.fillRect(5, 5, 2, 2);
    } else {
      c.beginPath();
      c.moveTo(0, 8); c.lineTo(8, 0);
      c.moveTo(-2, 2); c.lineTo(2, -2);
      c.moveTo(6, 10); c.lineTo(10, 6);
      if (kind === "cross") {
        c.moveTo(0, 0); c.lineTo(8, 8);
        c.moveTo(-2, 6); c.lineTo(2, 10);
        c.moveTo(6, -2); c.lineTo(10, 2);
      }
      c.stroke();
    }
    return tile;
  }

  const hatchTiles = {};
  function hatchPattern(ctx, kind) {
    if (!hatchTiles[kind]) hatchTiles[kind] = hatchTile(kind);
    return ctx.createPattern(hatchTiles[kind], "repeat");
  }

  // [r, g, b, a] (0-255) of a CSS colour at an opacity, as a canvas would fill it.
  const rgbaCache = new Map();
  function rgbaOf(colour, alpha) {
    const key = colour + " " + alpha;
    if (!rgbaCache.has(key)) {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 1;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.fillStyle = colour;
      ctx.fillRect(0, 0, 1, 1);
      const pixel = ctx.getImageData(0, 0, 1, 1).data;
      rgbaCache.set(key, [pixel[0], pixel[1], pixel[2], Math.round(pixel[3] * alpha)]);
    }
    return rgbaCache.get(key);
  }

  // The zone of a region as drawn now: the day played (see player()), else the view's.
  function zoneOf(index) {
    const view = state.view;
    const zones = state.playing !== null && view.frames ? view.frames.zones[state.playing]
      : view.zones;
    return zones && index < zones.length ? zones[index] : -1;
  }

  function fillOf(index) {
    const view = state.view;
    if (!view) return NO_DATA;
    let zone = zoneOf(index);
    if (zone < 0 || zone >= view.colours.length - 1) zone = view.colours.length - 1;
    return view.colours[zone];
  }

  // Leaflet focuses the map on a mouse press so that its keys work; a plain focus() also
  // scrolls the page around the frame to bring the whole map into view, between the press
  // and the click, so the click landed on the region that had moved under the pointer
  // (a village 50 px lower, when the map's foot was below the window). Focus without that.
  L.Map.Keyboard.prototype._onMouseDown = function () {
    if (!this._focused) this._map._container.focus({ preventScroll: true });
  };

  // A tooltip wider than the side of the map it opens on (Leaflet's "auto": the side with
  // more room) is moved back inside the map, so no figure is cut off at the frame's edge.
  const InsideTooltip = L.Tooltip.extend({
    _setPosition: function (pos) {
      L.Tooltip.prototype._setPosition.call(this, pos);
      const map = this._map, el = this._container;
      if (!map || !el) return;
      const r = el.getBoundingClientRect(), c = map.getContainer().getBoundingClientRect();
      const dx = Math.max(c.left + 4 - r.left, Math.min(0, c.right - 4 - r.right));
      const dy = Math.max(c.top + 4 - r.top, Math.min(0, c.bottom - 4 - r.bottom));
      if (dx || dy) L.DomUtil.setPosition(el, L.DomUtil.getPosition(el).add([dx, dy]));
    },
  });

  function ensureMap() {
    if (state.map) return;
    state.map = L.map("map", { zoomSnap: 0.25, zoomAnimation: false, attributionControl: true });
    state.map.attributionControl.setPrefix(false);
    state.map.setView([-7.2, 110.1], 7);
    state.map.on("movestart zoomstart", function () { if (!state.fitting) state.moved = true; });
    window.addEventListener("resize", function () { if (!state.moved) fitView(); });
    state.layer = new ZoneLayer().addTo(state.map);
    state.tip = new InsideTooltip({
      direction: "auto", opacity: 0.95, className: "zm-tip", offset: [14, 0],
    });
    state.map.on("mousemove", function (e) { hover(e.layerPoint, e.latlng); });
    state.map.on("mouseout", function () { hover(null); });
    state.map.getContainer().addEventListener("keydown", onKey);
    state.map.on("click", function (e) {
      const i = featureAt.apply(null, worldOf(state.map, e.layerPoint));
      if (i >= 0) pick(i);
    });
  }

  function hover(layerPoint, latlng) {
    const map = state.map;
    const i = layerPoint ? featureAt.apply(null, worldOf(map, layerPoint)) : -1;
    map.getContainer().style.cursor = i >= 0 ? "pointer" : "";
    if (i !== state.hovered) {
      state.hovered = i;
      state.layer.redrawOutlines();
      if (i >= 0) state.tip.setContent(tooltip(i));
    }
    if (i < 0) {
      map.closeTooltip(state.tip);
    } else {
      state.tip.setLatLng(latlng);
      if (!map.hasLayer(state.tip)) map.openTooltip(state.tip);
    }
  }

  // --- the keyboard: N / P (or ] / [) move between the regions by name, Enter opens one,
  // Escape lets go; the region's name and zone are said in a live region --------------------
  function keyOrder() {
    const g = state.geometry;
    if (g.keyOrder) return g.keyOrder;
    const order = [];
    for (let i = 0; i < g.context; i++) if (g.features[i].rings.length) order.push(i);
    const names = g.header.names;
    order.sort(function (a, b) { return names[a].localeCompare(names[b]) || a - b; });
    g.keyOrder = order;
    return order;
  }

  function latLngOf(i) {
    const p = state.geometry.labels[i], b = state.geometry.features[i].box;
    const wx = p ? p[0] : (b[0] + b[2]) / 2, wy = p ? p[1] : (b[1] + b[3]) / 2;
    return state.map.unproject(L.point(wx * 256, wy * 256), 0);
  }

  function say(text) {
    const live = document.getElementById("said");
    live.textContent = "";
    live.textContent = text;
  }

  function focusRegion(i) {
    const map = state.map, view = state.view || {};
    state.hovered = i;
    state.layer.redrawOutlines();
    if (i < 0) {
      map.closeTooltip(state.tip);
      return;
    }
    const at = latLngOf(i);
    if (!map.getBounds().contains(at)) map.panTo(at, { animate: false });
    state.tip.setContent(tooltip(i));
    state.tip.setLatLng(at);
    if (!map.hasLayer(state.tip)) map.openTooltip(state.tip);
    let zone = zoneOf(i);
    if (zone === undefined || zone < 0) zone = (view.labels || [""]).length - 1;
    say(state.geometry.header.names[i] + ": " + ((view.labels || [])[zone] || ""));
    document.body.dataset.focused = state.geometry.header.codes[i];
  }

  function onKey(e) {
    if (!state.geometry || e.altKey || e.ctrlKey || e.metaKey) return;
    const order = keyOrder();
    if (!order.length) return;
    const at = order.indexOf(state.hovered);
    let next = null;
    if (e.key === "n" || e.key === "N" || e.key === "]") next = at < 0 ? 0 : (at + 1) % order.length;
    if (e.key === "p" || e.key === "P" || e.key === "[") {
      next = at <= 0 ? order.length - 1 : at - 1;
    }
    if (next !== null) {
      e.preventDefault();
      focusRegion(order[next]);
    } else if (e.key === "Enter" && state.hovered >= 0) {
      e.preventDefault();
      pick(state.hovered);
    } else if (e.key === "Escape") {
      focusRegion(-1);
    }
  }

  function drawGeometry(geometry) {
    const map = state.map;
    state.selected = -1;
    state.hovered = -1;
    const box = geometry.header.fit || geometry.header.bbox;
    state.fit = box && box[0] !== null ? box : null;
    state.moved = false;
    fitView();
    state.layer.redraw();
    return geometry.features.filter(function (f, i) {
      return f.rings.length && i < geometry.context;
    }).length;
  }

  // The level's extent, fitted to the frame as it is now. The page often lays the frame out
  // again after the first fit (a column narrowing, a note appearing, a phone's width): until
  // the person pans or zooms, each resize fits again, so the whole level stays in view.
  function fitView() {
    const box = state.fit;
    if (!box || !state.map) return;
    state.fitting = true;
    try {
      state.map.invalidateSize({ pan: false });
      state.map.fitBounds([[box[1], box[0]], [box[3], box[2]]], { padding: [8, 8], animate: false });
    } finally {
      state.fitting = false;
    }
  }

  function paint(view) {
    state.view = view;
    state.layer.redraw();
  }

  function select(code) {
    const i = code && state.geometry ? state.geometry.header.codes.indexOf(code) : -1;
    if (i !== state.selected) {
      state.selected = i;
      state.layer.redrawOutlines();
    }
  }

  function pick(index) {
    state.clicks += 1;
    send("streamlit:setComponentValue", {
      value: { code: state.geometry.header.codes[index],
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
      let zone = zoneOf(index);
      if (zone === undefined || zone < 0) zone = view.labels.length - 1;
      const label = state.playing !== null ? view.zone_label + " · " +
        view.frames.days[state.playing] : view.zone_label;
      row(label, view.labels[zone]);
    }
    const tip = view.tips ? tipOf(index) : null;
    view.fields.forEach(function (field, k) {
      let at = index;
      if (view.tips) {  // a tiled level: the values come from the region's tooltip file
        if (!tip || !tip.fields) {
          row(field.label, "…");
          return;
        }
        at = index - tip.first;
        field = Object.assign({}, field, tip.fields[k]);
      }
      const text = field.text_of ? field.text_of[at] : -1;
      const value = field.values ? field.values[at] : null;
      row(field.label, text >= 0 ? field.texts[text] : show(value, field.decimals));
    });
    if (view.population_label) row(view.population_label, show(header.population[index], 0));
    box.appendChild(table);
    return box;
  }

  // The tooltip values of the region ``index`` of a tiled level: its file's, fetched the first
  // time a region of it is hovered (then the tooltip is written again).
  function tipOf(index) {
    const view = state.view, entry = view.tips.find(function (t) {
      return index >= t[0] && index < t[1];
    });
    if (!entry || !state.folder) return null;
    const name = entry[2];
    if (state.tips[name] === undefined) {
      state.tips[name] = null;
      fetched(state.folder + name).then(function (bytes) {
        state.tips[name] = JSON.parse(new TextDecoder().decode(bytes));
        document.body.dataset.tips = String(Object.keys(state.tips).length);
        if (state.hovered >= 0 && state.view === view) state.tip.setContent(tooltip(state.hovered));
      }).catch(function () { delete state.tips[name]; });
    }
    return state.tips[name];
  }

  // A large legend (the briefing's) only where the map is wide enough: on a phone it would
  // cover most of the map.
  const LARGE_LEGEND_MIN_WIDTH = 600;

  // Zones resting on figures still filling in: said in a small box of its own at the top
  // (plain text), out of the way of the regions at the map's foot and of the legend.
  function noteControl(view) {
    const text = view.note || "";
    if (state.note && state.note.key === text) return;
    if (state.note) state.map.removeControl(state.note);
    state.note = null;
    if (!text) return;
    const control = L.control({ position: "topright" });
    control.onAdd = function () {
      const box = el("div", text, "zm-box zm-note");
      box.setAttribute("role", "note");
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(state.map);
    control.key = text;
    state.note = control;
  }

  function legendControl(args) {
    const view = args.view;
    noteControl(view);
    const size = window.innerWidth >= LARGE_LEGEND_MIN_WIDTH ? args.legend_size : null;
    const key = JSON.stringify([view.legend, view.title, size, view.mark_labels, view.legend_note]);
    if (state.legend && state.legend.key === key) return;
    if (state.legend) state.map.removeControl(state.legend);
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      const box = el("div", null, "zm-box zm-legend");
      box.setAttribute("role", "list");
      if (size) box.style.fontSize = size + "px";
      if (size) box.style.lineHeight = Math.round(size * 1.55) + "px";
      if (view.title) box.appendChild(el("div", view.title, "zm-title"));
      for (let k = 0; k < view.legend.length; k++) {
        const [label, colour] = view.legend[k];
        const item = el("div");
        item.setAttribute("role", "listitem");
        const swatch = el("span", null, "zm-swatch");
        swatch.style.background = colour;
        const kind = hatchOf(k, view.legend.length - 1);
        if (kind) {
          swatch.style.backgroundImage = "url(" + hatchTile(kind).toDataURL() + ")";
          swatch.dataset.hatch = kind;
        }
        swatch.setAttribute("aria-hidden", "true");
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(label));
        box.appendChild(item);
      }
      for (const [name, label] of Object.entries(view.mark_labels || {})) {
        const item = el("div");
        item.setAttribute("role", "listitem");
        item.dataset.mark = name;
        const swatch = el("span", null, "zm-swatch");
        if (BADGE[name]) {  // the symbol itself, in its white disc
          swatch.textContent = BADGE[name];
          swatch.className = "zm-swatch zm-badge";
          swatch.dataset.badge = name;
        } else if (name === "uncertain") {
          swatch.style.background = "#bdbdbd url(" + hatchTile("unsure").toDataURL() + ")";
        } else {
          swatch.style.background = "#ffffff";
          swatch.style.border = "2px dashed #000000";
        }
        swatch.setAttribute("aria-hidden", "true");
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(label));
        box.appendChild(item);
      }
      if (view.legend_note) box.appendChild(el("div", view.legend_note, "zm-note"));
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

  // Playing the weeks up to the chosen day (view.frames: days and a zone per region for
  // each): a button to play and pause, and the day shown, top right; never by colour alone,
  // the day is written.
  function player(args) {
    const frames = args.view && args.view.frames;
    const key = frames ? JSON.stringify(frames.days) + args.token : "";
    if (state.player && state.player.key === key) return;
    if (state.player) state.map.removeControl(state.player);
    stopPlaying();
    state.player = null;
    if (!frames) return;
    const text = args.messages || {};
    const control = L.control({ position: "topright" });
    control.onAdd = function () {
      const box = el("div", null, "zm-box zm-player");
      const button = el("button", text.play || "Play", "zm-play");
      button.type = "button";
      const day = el("span", frames.days[frames.days.length - 1], "zm-day");
      day.setAttribute("aria-live", "polite");
      button.addEventListener("click", function () {
        if (state.timer) {
          stopPlaying();
        } else {
          let k = state.playing === null || state.playing >= frames.days.length - 1 ? -1
            : state.playing;
          button.textContent = text.pause || "Pause";
          state.timer = setInterval(function () {
            k += 1;
            if (k >= frames.days.length) {
              stopPlaying();
              return;
            }
            state.playing = k;
            day.textContent = frames.days[k];
            document.body.dataset.played = frames.days[k];
            state.layer.redraw();
          }, 900);
        }
      });
      control.stop = function () {
        button.textContent = text.play || "Play";
      };
      box.appendChild(button);
      box.appendChild(day);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(state.map);
    control.key = key;
    state.player = control;
  }

  function stopPlaying() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    if (state.player && state.player.stop) state.player.stop();
  }

  // Sharing the view: a PNG of the map as it is now (regions, outlines, names, legend,
  // title and source), and the page's link copied, each a button (bottom left).
  function shareControl(args) {
    const text = args.messages || {};
    const key = JSON.stringify([text.png, text.copy, args.file_name]);
    if (state.share && state.share.key === key) return;
    if (state.share) state.map.removeControl(state.share);
    const control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      const box = el("div", null, "zm-box zm-share");
      const png = el("button", text.png || "PNG", "zm-play");
      png.type = "button";
      png.addEventListener("click", function () { downloadPng(args.file_name || "map.png"); });
      const copy = el("button", text.copy || "Copy link", "zm-play");
      copy.type = "button";
      const said = el("span", "", "zm-said");
      said.setAttribute("aria-live", "polite");
      copy.addEventListener("click", function () {
        const link = window.parent.location.href;
        navigator.clipboard.writeText(link).then(
          function () { said.textContent = text.copied || "Copied"; },
          function () { said.textContent = link; });
        document.body.dataset.copied = link;
      });
      box.appendChild(png);
      box.appendChild(copy);
      box.appendChild(said);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(state.map);
    control.key = key;
    state.share = control;
  }

  // The map as the person sees it, as a PNG: the canvases cut to the map's box, then the
  // title, the legend and the source written on it.
  function pngCanvas() {
    const map = state.map, layer = state.layer, size = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    const out = document.createElement("canvas");
    out.width = Math.round(size.x * ratio);
    out.height = Math.round(size.y * ratio);
    const ctx = out.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size.x, size.y);
    const at = map.layerPointToContainerPoint(layer._min);
    for (const c of [layer._fill, layer._line]) {
      ctx.drawImage(c, at.x, at.y, layer._size.x, layer._size.y);
    }
    const view = state.view || {};
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.font = "700 15px 'Source Sans Pro', 'DejaVu Sans', sans-serif";
    ctx.fillStyle = NAME_TEXT;
    const title = [view.title, state.args && state.args.caption].filter(Boolean).join(" · ");
    ctx.fillText(title, 10, 10);
    ctx.font = "12px 'Source Sans Pro', 'DejaVu Sans', sans-serif";
    if (view.note) {  // zones resting on provisional figures: the note under the title
      let line = "", top = 30;
      for (const word of String(view.note).split(" ")) {
        const next = line ? line + " " + word : word;
        if (line && ctx.measureText(next).width > Math.min(520, size.x - 20)) {
          ctx.fillText(line, 10, top);
          line = word;
          top += 16;
        } else {
          line = next;
        }
      }
      if (line) ctx.fillText(line, 10, top);
    }
    const legend = view.legend || [];
    const marks = Object.entries(view.mark_labels || {});
    const note = view.legend_note ? 1 : 0;
    let y = size.y - 10 - 18 * (legend.length + marks.length + note);
    for (let k = 0; k < legend.length; k++) {
      const [label, colour] = legend[k];
      ctx.fillStyle = colour;
      ctx.fillRect(size.x - 190, y, 12, 12);
      const kind = hatchOf(k, legend.length - 1);
      if (kind) {
        ctx.fillStyle = hatchPattern(ctx, kind);
        ctx.fillRect(size.x - 190, y, 12, 12);
      }
      ctx.strokeStyle = "#616161";
      ctx.strokeRect(size.x - 190, y, 12, 12);
      ctx.fillStyle = NAME_TEXT;
      ctx.fillText(label, size.x - 172, y - 1);
      y += 18;
    }
    for (const [name, label] of marks) {
      if (BADGE[name]) {
        drawBadge(ctx, size.x - 184, y + 6, name, 6);
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        ctx.fillStyle = NAME_TEXT;
        ctx.font = "12px 'Source Sans Pro', 'DejaVu Sans', sans-serif";
        ctx.fillText(label, size.x - 172, y - 1);
        y += 18;
        continue;
      }
      ctx.fillStyle = name === "uncertain" ? "#bdbdbd" : "#ffffff";
      ctx.fillRect(size.x - 190, y, 12, 12);
      if (name === "uncertain") {
        ctx.fillStyle = hatchPattern(ctx, "unsure");
        ctx.fillRect(size.x - 190, y, 12, 12);
      }
      ctx.setLineDash(name === "uncertain" ? [] : [3, 2]);
      ctx.strokeStyle = name === "uncertain" ? "#616161" : "#000000";
      ctx.strokeRect(size.x - 190, y, 12, 12);
      ctx.setLineDash([]);
      ctx.fillStyle = NAME_TEXT;
      ctx.fillText(label, size.x - 172, y - 1);
      y += 18;
    }
    if (note) {
      ctx.fillStyle = NAME_TEXT;
      ctx.fillText(view.legend_note, size.x - 190, y - 1);
    }
    if (state.args && state.args.source) {
      ctx.fillStyle = "#333333";
      ctx.font = "11px 'Source Sans Pro', 'DejaVu Sans', sans-serif";
      ctx.fillText(state.args.source, 10, size.y - 18);
    }
    return out;
  }

  function downloadPng(name) {
    const link = document.createElement("a");
    link.download = name;
    link.href = pngCanvas().toDataURL("image/png");
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  // Where the boundaries come from (the data's attribution): plain text, bottom left.
  function sourceControl(text) {
    const key = text || "";
    if (state.source && state.source.key === key) return;
    if (state.source) state.map.removeControl(state.source);
    state.source = null;
    if (!text) return;
    const control = L.control({ position: "bottomleft" });
    control.onAdd = function () { return el("div", text, "zm-source"); };
    control.addTo(state.map);
    control.key = key;
    state.source = control;
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
  // Zones sent as bytes (a tiled level): base64 of gzip, a signed byte per region.
  async function zonesFrom(packed) {
    if (typeof packed !== "string") return packed;
    if (!state.zonesOf.has(packed)) {
      if (state.zonesOf.size > 40) state.zonesOf.clear();
      state.zonesOf.set(packed, new Int8Array(await unzipped(packed)));
    }
    return state.zonesOf.get(packed);
  }

  async function unpacked(view) {
    if (!view || typeof view.zones !== "string") return view;
    const out = Object.assign({}, view, { zones: await zonesFrom(view.zones), marks: {} });
    for (const name of Object.keys(view.marks || {})) {
      out.marks[name] = await zonesFrom(view.marks[name]);
    }
    if (view.frames) {
      const zones = [];
      for (const z of view.frames.zones) zones.push(await zonesFrom(z));
      out.frames = Object.assign({}, view.frames, { zones: zones });
    }
    return out;
  }

  async function render(args) {
    if (args.view && typeof args.view.zones === "string") {
      state.args = args;
      const view = await unpacked(args.view);
      if (state.args !== args) return;  // a newer render came meanwhile
      args = Object.assign({}, args, { view: view });
    }
    state.args = args;
    if (args.geometry_url) state.folder = args.geometry_url.replace(/[^/]*$/, "");
    const help = args.messages && args.messages.keys;
    if (help) document.getElementById("map").setAttribute("aria-label", help);
    setHeight(args.height || 560);
    ensureMap();
    tileLayer(args);
    sourceControl(args.source);
    shareControl(args);
    if (args.geometry_id !== state.geometryId) {
      const id = args.geometry_id;
      if (state.loading !== id) {
        state.loading = id;
        message(args.messages && args.messages.loading);
        let geometry;
        const started = performance.now();
        let fetched;
        try {
          const bytes = await bytesOf(args);
          fetched = performance.now();
          geometry = decode(bytes);
        } catch (err) {
          if (state.loading === id) {
            state.loading = null;
            message((args.messages && args.messages.failed) + " (" + err.message + ")");
          }
          return;
        }
        if (state.loading !== id) return; // a newer level was asked for meanwhile
        state.loading = null;
        const latest = state.args;
        state.geometry = geometry;
        state.geometryId = id;
        state.detail = {};
        state.view = latest.view;
        state.token = latest.token;
        document.body.dataset.drawn = "0";
        const drawn = drawGeometry(geometry);
        legendControl(latest);
        player(latest);
        select(latest.selected || null);
        message(null);
        const decoded = performance.now();
        afterPaint(function () {
          // where the time went (ms), for the benchmark: fetch, decode, first paint
          document.body.dataset.timing = JSON.stringify({
            fetch: Math.round(fetched - started), decode: Math.round(decoded - fetched),
            paint: Math.round(performance.now() - decoded), draw: state.layer.lastDraw,
          });
          document.body.dataset.drawn = String(drawn);
          if (state.token === latest.token) document.body.dataset.styled = latest.token;
        });
      }
      return;
    }
    apply(args);
  }

  function apply(args) {
    if (!state.geometry) return;
    legendControl(args);
    if (args.token !== state.token) {
      stopPlaying();
      state.playing = null;  // a new view: its own day again
    }
    player(args);
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
    select(args.selected || null);
  }

  // What tests and benchmarks read: the regions drawn, their fills, and a point inside one.
  window.zoneMap = {
    drawMs: function () {  // one full redraw now, timed
      const start = performance.now();
      state.layer._position();
      state.layer._draw();
      return performance.now() - start;
    },
    shapes: function () {
      const g = state.geometry;
      return g.features.map(function (f, i) { return f.rings.length && i < g.context ? i : -1; })
        .filter(function (i) { return i >= 0; })
        .map(function (i) { return { code: g.header.codes[i], fill: fillOf(i) }; });
    },
    outline: function (code) {  // a region's rings as decoded, back in [lng, lat]
      const g = state.geometry, f = g.features[g.header.codes.indexOf(code)], out = [];
      for (let k = 0; k < f.rings.length; k += 2) {
        const ring = [];
        for (let i = f.rings[k]; i < f.rings[k + 1]; i += 2) {
          const lat = Math.atan(Math.sinh(Math.PI * (1 - 2 * f.xy[i + 1]))) * 180 / Math.PI;
          ring.push([f.xy[i] * 360 - 180, lat]);
        }
        out.push(ring);
      }
      return out;
    },
    names: function () { return state.layer.namesShown || 0; },  // names drawn just now
    png: function () { return pngCanvas().toDataURL("image/png"); },  // what PNG downloads
    context: function () {  // the codes drawn around the regions shown
      const g = state.geometry;
      return g.header.codes.slice(g.context);
    },
    codeAt: function (x, y) {  // the region under a point of the map's box, else null
      const map = state.map, p = map.containerPointToLayerPoint(L.point(x, y));
      const i = featureAt.apply(null, worldOf(map, p));
      return i >= 0 ? state.geometry.header.codes[i] : null;
    },
    centre: function (code) {
      const g = state.geometry, map = state.map, i = g.header.codes.indexOf(code);
      const b = g.features[i].box, s = scaleOf(map), o = map.getPixelOrigin();
      for (let k = 0; k < 400; k++) {  // the box's centre, else a spiral of points in the box
        const a = k * 2.4, r = Math.sqrt(k / 400) / 2;
        const wx = (b[0] + b[2]) / 2 + r * Math.cos(a) * (b[2] - b[0]);
        const wy = (b[1] + b[3]) / 2 + r * Math.sin(a) * (b[3] - b[1]);
        if (featureAt(wx, wy) === i) {
          const p = map.layerPointToContainerPoint(L.point(wx * s - o.x, wy * s - o.y));
          return { x: p.x, y: p.y };
        }
      }
      return null;
    },
  };

  send("streamlit:componentReady", { apiVersion: 1 });
})();
