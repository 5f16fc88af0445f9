// The entry page: what `show` prints, a 3-plane viewer (NiiVue) with an
// overlay through lineage, and the recipe DAG as a graph. Without NiiVue
// the volume shows as PNG slices from the API.
"use strict";

(() => {
  const { api, bytes, dims, el, withToken } = voxcache;
  const key = location.pathname.split("/").pop();
  // What the tests read: the viewer's state, and the last crosshair report.
  window.voxcacheViewer = { ready: false, location: null, nv: null };

  function showRecord(e) {
    const rows = [
      ["key", e.key], ["type", e.data_type], ["dims", dims(e)],
      ["pixel", e.volume ? e.volume.pixel_type + (e.volume.components > 1 ? "x" + e.volume.components : "") : "-"],
      ["value", "value" in e ? JSON.stringify(e.value) : undefined],
      ["items", e.items ? JSON.stringify(e.items) : undefined],
      ["spacing", e.volume && e.volume.spacing.join(", ")], ["origin", e.volume && e.volume.origin.join(", ")],
      ["direction", e.volume && e.volume.direction.join(", ")],
      ["created", e.created_at], ["accessed", `${e.last_access}, ${e.access_count} gets`],
      ["raw", bytes(e.raw_bytes)], ["stored", `${bytes(e.stored_bytes)} (${e.ratio.toFixed(2)}x)`],
      ["chunks", `${e.chunk_count}, ${e.layout || "-"}`], ["codec", `${e.codec} level ${e.level}, filter ${e.filter}`],
      ["checksum", e.checksum], ["operation", e.operation || "-"], ["pinned", e.pinned ? "yes" : "no"],
      ["recipe", e.recipe ? JSON.stringify(e.recipe) : undefined],
      ["intensity", e.intensity ? e.intensity.map((c) => `min ${c.min} max ${c.max} mean ${c.mean}`).join("; ") : undefined],
      ["metadata", e.metadata ? JSON.stringify(e.metadata).slice(0, 2000) : undefined],
      ["problem", e.problem],
    ];
    const dl = document.getElementById("record");
    for (const [k, v] of rows) if (v !== undefined && v !== null && v !== "") dl.append(el("dt", {}, k), el("dd", {}, v));
  }

  // A label map: integer voxels with few distinct values (by the histogram).
  function looksLikeLabels(e) {
    const v = e.volume, s = e.intensity && e.intensity[0];
    if (!v || !s || /f/.test(v.pixel_type) || s.max === null || s.max > 4096 || s.min < 0) return false;
    const used = s.histogram.filter((n) => n > 0).length;
    return s.max > 1 && used <= 160 && used < 256;
  }

  function labelLut(max) {
    const R = [0], G = [0], B = [0], A = [0], I = [0];
    for (let i = 1; i <= max; i++) {
      const h = (i * 0.618033988749895) % 1, rgb = hsv(h, 0.65, 0.95);
      R.push(rgb[0]); G.push(rgb[1]); B.push(rgb[2]); A.push(255); I.push(i);
    }
    return { R, G, B, A, I };
  }

  function hsv(h, s, v) {
    const i = Math.floor(h * 6), f = h * 6 - i, p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
    return [r, g, b].map((x) => Math.round(255 * x));
  }

  // NiiVue counts voxels in its grid reoriented to RAS; the file's own
  // voxel undoes that: permRAS[r] names the file axis (1-based) along RAS
  // axis r, negative when the file runs the other way.
  function fileVoxel(vol, rasVox) {
    const out = [0, 0, 0];
    for (let r = 0; r < 3; r++) {
      const axis = Math.abs(vol.permRAS[r]) - 1;
      out[axis] = vol.permRAS[r] > 0 ? rasVox[r] : vol.hdr.dims[axis + 1] - 1 - rasVox[r];
    }
    return out;
  }

  function stepFor(e) {
    let step = 1;
    const n = (s) => e.volume.size.reduce((a, d) => a * Math.ceil(d / s), 1);
    while (n(step) > 256 * 256 * 256) step++;
    return step;
  }

  async function showViewer(e, graph) {
    document.getElementById("view").hidden = false;
    const step = stepFor(e);
    if (step > 1) {
      document.getElementById("step-note").textContent =
        `shown every ${step}th voxel (${dims(e)} is over the viewer's 256^3); voxel indices are the entry's`;
    }
    if (!window.niivue) return showSlices(e);
    // Three planes, no 3D render: the planes are what a result is checked
    // on, and a render costs seconds on machines without a GPU.
    const nv = new niivue.Niivue({ backColor: [0, 0, 0, 1],
                                   multiplanarShowRender: niivue.SHOW_RENDER.NEVER });
    window.voxcacheViewer.nv = nv;
    nv.onLocationChange = (data) => {
      const v = data.values && data.values[0];
      if (!v) return;
      const vox = fileVoxel(nv.volumes[0], Array.from(v.vox)).map((i) => i * step);
      const mm = Array.from(data.mm).slice(0, 3).map((x) => x.toFixed(2));
      window.voxcacheViewer.location = { vox, value: v.value, mm: mm.map(Number) };
      document.getElementById("location").textContent =
        `voxel [${vox.join(", ")}]\nvalue ${v.value}\nworld (${mm.join(", ")}) mm, RAS`;
      if (step > 1) showFullResolution(vox);
    };
    await nv.attachTo("gl");
    nv.setSliceType(nv.sliceTypeMultiplanar);
    const labels = looksLikeLabels(e);
    if (step > 1) showFullResolution(e.volume.size.map((n) => Math.floor(n / 2)));
    // The step asked for explicitly: the voxel indices the page reports are
    // NiiVue's times this step, so the server may not choose another (a
    // step under its bound is a 400, never a wrong voxel).
    await nv.loadVolumes([{ url: withToken(`/api/entries/${key}/volume.nii?step=${step}`), name: key + ".nii",
                            colormap: "gray" }]);
    const vol = nv.volumes[0];
    if (labels) {
      document.getElementById("colormap").value = "labels";
      vol.setColormapLabel(labelLut(e.intensity[0].max));
      vol.colormap = "gray";
      vol.opacity = 1;
      nv.updateGLVolume();
    }
    document.getElementById("cal-min").value = vol.cal_min;
    document.getElementById("cal-max").value = vol.cal_max;
    document.getElementById("colormap").onchange = (ev) => {
      if (ev.target.value === "labels") {
        vol.setColormapLabel(labelLut(Math.max(1, Math.round(vol.global_max))));
      } else {
        vol.colormapLabel = null;
        vol.colormap = ev.target.value;
      }
      nv.updateGLVolume();
    };
    for (const id of ["cal-min", "cal-max"]) {
      document.getElementById(id).onchange = () => {
        vol.cal_min = Number(document.getElementById("cal-min").value);
        vol.cal_max = Number(document.getElementById("cal-max").value);
        nv.updateGLVolume();
      };
    }
    // Overlays: the entry's inputs and the results derived from it, if volumes.
    const overlay = document.getElementById("overlay");
    // The graph names the inputs; a derived result's record names it.
    const derived = await Promise.all(e.dependents.slice(0, 50).map((k) => api("/api/entries/" + k).catch(() => null)));
    for (const other of [...e.inputs, ...e.dependents.slice(0, 50)]) {
      const record = graph.nodes.find((n) => n.key === other) || derived.find((d) => d && d.key === other);
      if (record && record.present === false) continue;  // not stored: nothing to draw
      const name = (record && record.operation) || other.slice(0, 12);
      overlay.append(el("option", { value: other }, `${e.inputs.includes(other) ? "input" : "derived"}: ${name}`));
    }
    overlay.onchange = async () => {
      while (nv.volumes.length > 1) nv.removeVolume(nv.volumes[1]);
      if (!overlay.value) return;
      await nv.addVolumeFromUrl({ url: withToken(`/api/entries/${overlay.value}/volume.nii`),
                                  name: overlay.value + ".nii", colormap: "red",
                                  opacity: Number(document.getElementById("opacity").value) });
      window.voxcacheViewer.overlay = overlay.value;
    };
    document.getElementById("opacity").oninput = (ev) => {
      if (nv.volumes.length > 1) nv.setOpacity(1, Number(ev.target.value));
    };
    window.voxcacheViewer.ready = true;
    window.voxcacheViewer.readyMs = performance.now();  // since navigation started
  }

  // A downsampled volume: the entry's own planes through the crosshair, as
  // PNG slices the server reads from the chunks they meet (bricks: only
  // the bricks of that plane).
  function showFullResolution(vox) {
    document.getElementById("full-res").hidden = false;
    "xyz".split("").forEach((axis, a) => {
      const img = document.getElementById("full-" + axis);
      const src = withToken(`/api/entries/${key}/slice.png?axis=${axis}&index=${vox[a]}`);
      if (img.getAttribute("src") !== src) img.src = src;
    });
  }

  function showSlices(e) {
    document.getElementById("gl-box").hidden = true;
    const box = document.getElementById("slices");
    box.hidden = false;
    for (const axis of ["z", "y", "x"]) {
      const img = el("img", { alt: axis, src: withToken(`/api/entries/${key}/slice.png?axis=${axis}`) });
      const n = e.volume.size["xyz".indexOf(axis)];
      const range = el("input", { type: "range", min: 0, max: n - 1, value: Math.floor(n / 2) });
      range.oninput = () => { img.src = withToken(`/api/entries/${key}/slice.png?axis=${axis}&index=${range.value}`); };
      box.append(el("div", {}, img, range));
    }
    window.voxcacheViewer.ready = true;
  }

  // The recipe DAG: inputs to the left, the entry at the right, one column
  // per step; each node a link to its entry.
  function showLineage(graph) {
    const depth = { [graph.root]: 0 };
    const into = {};
    for (const ed of graph.edges) (into[ed.to] = into[ed.to] || []).push(ed.from);
    const order = [graph.root];
    for (let i = 0; i < order.length; i++) {
      for (const from of into[order[i]] || []) {
        if (depth[from] === undefined || depth[from] < depth[order[i]] + 1) {
          depth[from] = depth[order[i]] + 1;
          order.push(from);
        }
      }
    }
    const maxDepth = Math.max(0, ...Object.values(depth));
    const columns = {};
    const pos = {};
    const W = 250, H = 46;
    for (const n of graph.nodes) {
      const d = depth[n.key] ?? 0;
      const col = maxDepth - d;
      columns[col] = (columns[col] || 0) + 1;
      pos[n.key] = { x: 10 + col * (W + 40), y: 10 + (columns[col] - 1) * (H + 16) };
    }
    const width = 20 + (maxDepth + 1) * (W + 40), height = 20 + Math.max(...Object.values(columns)) * (H + 16);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "lineage");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" ' +
      'markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>';
    for (const ed of graph.edges) {
      const a = pos[ed.from], b = pos[ed.to];
      if (!a || !b) continue;
      const p = document.createElementNS(ns, "path");
      p.setAttribute("d", `M${a.x + W},${a.y + H / 2} C${a.x + W + 30},${a.y + H / 2} ${b.x - 30},${b.y + H / 2} ${b.x},${b.y + H / 2}`);
      svg.append(p);
    }
    for (const n of graph.nodes) {
      const { x, y } = pos[n.key];
      const a = document.createElementNS(ns, "a");
      if (n.present) a.setAttribute("href", withToken("/entries/" + n.key));
      a.setAttribute("data-key", n.key);
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", x); r.setAttribute("y", y); r.setAttribute("width", W); r.setAttribute("height", H);
      r.setAttribute("class", n.key === graph.root ? "root" : n.present ? "" : "absent");
      const t1 = document.createElementNS(ns, "text");
      t1.setAttribute("x", x + 8); t1.setAttribute("y", y + 18);
      t1.textContent = n.operation || (n.present ? n.data_type : "not stored");
      const t2 = document.createElementNS(ns, "text");
      t2.setAttribute("x", x + 8); t2.setAttribute("y", y + 36);
      t2.textContent = n.key.slice(0, 16);
      const title = document.createElementNS(ns, "title");
      title.textContent = n.recipe ? JSON.stringify(n.recipe) : n.key;
      a.append(r, t1, t2, title);
      svg.append(a);
    }
    document.getElementById("lineage").replaceChildren(svg);
    if (graph.truncated) document.getElementById("lineage").append(el("p", {}, "(graph cut at 500 nodes)"));
  }

  async function main() {
    document.getElementById("home").href = withToken("/");
    try {
      const [e, graph] = await Promise.all([api("/api/entries/" + key), api(`/api/entries/${key}/lineage`)]);
      document.getElementById("title").textContent = `${e.operation || e.data_type} ${e.key.slice(0, 16)}`;
      showRecord(e);
      showLineage(graph);
      if (e.volume && !e.problem) await showViewer(e, graph);
      document.body.dataset.loaded = "1";
    } catch (err) {
      document.getElementById("error").textContent = err.message;
      document.body.dataset.loaded = "error";
    }
  }
  main();
})();
