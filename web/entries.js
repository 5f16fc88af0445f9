// The entries page: the `ls` table in pages, sortable and filterable, and
// the `stats` figures.
"use strict";

(() => {
  const { api, bytes, age, dims, el, withToken } = voxcache;
  const state = { sort: "created", offset: 0, limit: 100, filters: {} };

  function showStats(s) {
    const cards = document.getElementById("stats");
    cards.replaceChildren();
    document.getElementById("totals").textContent =
      `${s.entries} entries, ${bytes(s.stored_bytes)} stored, ${bytes(s.raw_bytes)} raw (${s.ratio.toFixed(1)}x)`;
    const c = s.counters.total || {};
    const hits = (c.hits_memory || 0) + (c.hits_disk || 0) + (c.hits_remote || 0);
    const lookups = hits + (c.misses || 0);
    // No lookups yet: no rate, rather than 0%.
    const rate = lookups ? (100 * hits / lookups).toFixed(1) + "%" : "-";
    cards.append(el("div", { class: "card", id: "hit-rate" }, el("b", {}, "hit rate "), rate,
                    ` (${hits} hits, ${c.misses || 0} misses)`));
    // Stored bytes by type, as bars.
    const max = Math.max(1, ...s.by_type.map((t) => t.stored_bytes));
    const chart = el("div", { class: "card", id: "bytes-by-type" }, el("b", {}, "stored by type"));
    for (const t of s.by_type) {
      chart.append(el("div", {}, el("span", { class: "bar", style: `width:${Math.round(160 * t.stored_bytes / max)}px` }),
                      ` ${t.data_type}: ${t.entries} entries, ${bytes(t.stored_bytes)}`));
    }
    cards.append(chart);
  }

  function row(e) {
    const link = el("a", { href: withToken("/entries/" + e.key) }, e.key.slice(0, 16));
    const thumb = e.volume && !e.problem
      ? el("img", { class: "thumb", loading: "lazy", alt: "",
                    src: withToken(`/api/entries/${e.key}/thumbnail.png`) })
      : "";
    const pixel = e.volume ? e.volume.pixel_type + (e.volume.components > 1 ? "x" + e.volume.components : "") : "-";
    return el("tr", { "data-key": e.key },
      el("td", {}, thumb), el("td", { class: "key" }, link), el("td", {}, e.problem ? "BAD" : e.data_type),
      el("td", {}, dims(e)), el("td", {}, pixel), el("td", { class: "num" }, bytes(e.stored_bytes)),
      el("td", { class: "num" }, e.ratio.toFixed(1) + "x"), el("td", { class: "num" }, age(e.created_at_ms)),
      el("td", { class: "num" }, age(e.last_access_ms)), el("td", {}, e.operation || "-"),
      el("td", {}, e.pinned ? "yes" : ""));
  }

  async function load() {
    const q = new URLSearchParams({ sort: state.sort, offset: state.offset, limit: state.limit, ...state.filters });
    const err = document.getElementById("error");
    err.textContent = "";
    try {
      const [page, stats] = await Promise.all([api("/api/entries?" + q), api("/api/stats")]);
      showStats(stats);
      const body = document.querySelector("#entries tbody");
      body.replaceChildren(...page.entries.map(row));
      const pager = document.getElementById("pager");
      pager.replaceChildren(`${page.total ? page.offset + 1 : 0}-${page.offset + page.entries.length} of ${page.total} `);
      if (page.offset > 0) {
        const prev = el("button", {}, "previous");
        prev.onclick = () => { state.offset = Math.max(0, state.offset - state.limit); load(); };
        pager.append(prev);
      }
      if (page.offset + page.entries.length < page.total) {
        const next = el("button", { id: "next" }, "next");
        next.onclick = () => { state.offset += state.limit; load(); };
        pager.append(next);
      }
      document.body.dataset.loaded = "1";
    } catch (e) {
      err.textContent = e.message;
    }
  }

  for (const th of document.querySelectorAll("th.sortable")) {
    th.onclick = () => { state.sort = th.dataset.sort; state.offset = 0; load(); };
  }
  document.getElementById("filters").onsubmit = (ev) => {
    ev.preventDefault();
    state.filters = {};
    for (const [k, v] of new FormData(ev.target)) if (v) state.filters[k] = v;
    state.offset = 0;
    load();
  };
  document.getElementById("home").href = withToken("/");
  load();
})();
