// Shared by the inspector's pages: the API with the page's token, and units.
"use strict";

const voxcache = (() => {
  // A token the page was opened with (?token=) goes with every request.
  const token = new URLSearchParams(location.search).get("token");

  function withToken(path) {
    if (!token) return path;
    return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
  }

  async function api(path) {
    const res = await fetch(withToken(path));
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  function bytes(n) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i ? n.toFixed(1) : String(n)) + " " + units[i];
  }

  function age(ms) {
    const s = Math.max(0, (Date.now() - ms) / 1000);
    if (s < 90) return Math.round(s) + "s";
    if (s < 5400) return Math.round(s / 60) + "m";
    if (s < 129600) return Math.round(s / 3600) + "h";
    return Math.round(s / 86400) + "d";
  }

  function dims(e) {
    if (!e.volume) return "-";
    const v = e.volume;
    const size = v.dimension === 2 ? v.size.slice(0, 2) : v.size.slice();
    if (v.dimension === 4) size.push(v.frames);
    return size.join("x");
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  return { token, withToken, api, bytes, age, dims, el };
})();
