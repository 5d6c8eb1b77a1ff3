// The HTML flame graph's script; flamegraph-common.js comes before it. It reads the profile from the
// page's pyspy-data JSON block: interned labels and functions, and the tree as a string of base-64
// variable-length numbers, four a frame in pre-order (depth step, label id, total, self); it rebuilds
// positions into typed arrays and draws only frames at least half a pixel wide on a canvas, so no
// element is made per frame. On the heatmap page the data also names each label's source line in the
// page (src), and a click on a frame goes there too. window.pyspy offers lookups for scripts and tests.
(function () {
  var t0 = performance.now();
  var MIN_PX = 0.5;        // frames narrower than this are not drawn (nor their callees)
  var TEXT_PAD = 3;
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  var DEC = new Int8Array(128);
  for (var k = 0; k < 64; k++) { DEC[B64.charCodeAt(k)] = k; }

  // Unsigned variable-length numbers, 5 bits a character, bit 6 meaning "more follows".
  function decoder(s) {
    var p = 0;
    return function () {
      var v = 0, scale = 1, d;
      do {
        d = DEC[s.charCodeAt(p++)];
        v += (d & 31) * scale;
        scale *= 32;
      } while (d & 32);
      return v;
    };
  }

  var data = JSON.parse(document.getElementById("pyspy-data").textContent);
  var N = data.n, maxDepth = data.maxDepth, total = data.total;
  var rowH = data.frameHeight, fontSize = data.fontSize;
  var labels = data.labels, fname = data.fname, ffile = data.ffile, fcol = data.fcol;
  var nF = fname.length;
  // the heatmap page: the fragment of each label's line in the page, null where the page has no source
  var src = data.src || null;

  // The tree, in pre-order: label, depth, total, self, start (samples), end of subtree, parent.
  var L = new Int32Array(N), D = new Int32Array(N), T = new Float64Array(N), S = new Float64Array(N);
  var X = new Float64Array(N), E = new Int32Array(N), P = new Int32Array(N), KS = new Float64Array(N);
  var LF = new Int32Array(labels.length);
  (function () {
    var next = decoder(data.nodes);
    var open = new Int32Array(maxDepth + 2), cursor = new Float64Array(maxDepth + 2);
    var prev = -1, i, q, d;
    for (i = 0; i < N; i++) {
      d = prev + 1 - next();
      L[i] = next(); T[i] = next(); S[i] = next(); D[i] = d;
      for (q = prev; q >= d; q--) { E[open[q]] = i; }
      if (d === 0) { X[i] = 0; P[i] = -1; }
      else { P[i] = open[d - 1]; X[i] = cursor[d - 1]; cursor[d - 1] += T[i]; KS[P[i]] += T[i]; }
      cursor[d] = X[i]; open[d] = i; prev = d;
    }
    for (q = prev; q >= 0; q--) { E[open[q]] = N; }
    var nextF = decoder(data.lfn);
    for (i = 0; i < labels.length; i++) { LF[i] = nextF(); }
  })();

  // Nodes of each depth, left to right, for hit testing.
  var depthStart = new Int32Array(maxDepth + 2), byDepth = new Int32Array(N);
  (function () {
    var i, fill = new Int32Array(maxDepth + 2);
    for (i = 0; i < N; i++) { depthStart[D[i] + 1]++; }
    for (i = 1; i <= maxDepth + 1; i++) { depthStart[i] += depthStart[i - 1]; }
    for (i = 0; i < N; i++) { byDepth[depthStart[D[i]] + fill[D[i]]++] = i; }
  })();

  // Differential graphs: samples of each frame in the "before" profile.
  var diff = data.diff || null, BT = null, BS = null, maxDelta = 0;
  if (diff) {
    BT = new Float64Array(N); BS = new Float64Array(N);
    var nb = decoder(diff.bt), ns = decoder(diff.bs);
    for (var j = 0; j < N; j++) { BT[j] = nb(); BS[j] = ns(); }
    for (j = 0; j < N; j++) { maxDelta = Math.max(maxDelta, Math.abs(selfDelta(j))); }
  }
  function share(a, b) { return b > 0 ? a / b : 0; }
  function selfDelta(i) { return share(T[i] - KS[i], total) - share(BS[i], diff.before); }
  function totalDelta(i) { return share(T[i], total) - share(BT[i], diff.before); }

  function rgb(c) { return "rgb(" + (c >> 16 & 255) + "," + (c >> 8 & 255) + "," + (c & 255) + ")"; }
  var fcss = new Array(nF);
  for (var f = 0; f < nF; f++) { fcss[f] = rgb(fcol[f]); }
  function diffColor(delta) {
    var t = maxDelta > 0 ? Math.min(1, Math.abs(delta) / maxDelta) : 0;
    var to = delta > 0 ? [222, 32, 32] : [36, 84, 222];
    return "rgb(" + Math.round(236 + (to[0] - 236) * t) + "," + Math.round(236 + (to[1] - 236) * t) + ","
      + Math.round(236 + (to[2] - 236) * t) + ")";
  }
  var nodeCss = null;
  if (diff) {
    nodeCss = new Array(N);
    for (var m = 0; m < N; m++) { nodeCss[m] = diffColor(selfDelta(m)); }
  }

  function pct(a, b) { return (b > 0 ? 100 * a / b : 0).toFixed(2) + "%"; }
  function samples(n) { return n + (n === 1 ? " sample" : " samples"); }
  function signed(share) {
    var s = Math.abs(share * 100).toFixed(2) + "%";
    return s === "0.00%" ? s : (share > 0 ? "+" : "-") + s;
  }
  function label(i) { return i === 0 ? "all" : labels[L[i]]; }
  function info(i) {
    if (diff) {
      return label(i) + " (before: " + samples(BT[i]) + ", " + pct(BT[i], diff.before) + "; after: " + samples(T[i])
        + ", " + pct(T[i], total) + "; change " + signed(totalDelta(i)) + ", self " + signed(selfDelta(i)) + ")";
    }
    return label(i) + " (" + samples(T[i]) + ", " + pct(T[i], total) + ")";
  }

  function sourceOf(i) { return src !== null && i > 0 ? src[L[i]] : null; }
  function hoverText(i) {
    if (src === null || i === 0) { return info(i); }
    return info(i) + (sourceOf(i) !== null ? " \u2014 click for its source" : " \u2014 no source in this page");
  }
  function showSource(i) {
    var line = sourceOf(i);
    if (line === null) { return; }
    if (window.location.hash === "#" + line) { document.getElementById(line).scrollIntoView(); }
    else { window.location.hash = line; }
  }

  // ---- page elements and state
  var $ = function (id) { return document.getElementById(id); };
  var canvas = $("canvas"), overlay = $("overlay"), graph = $("graph"), details = $("details");
  var searchInput = $("search"), matchedText = $("matched"), matchPos = $("matchpos");
  var unzoomBtn = $("unzoom"), resetSearchBtn = $("resetsearch"), invertedBox = $("inverted");
  var ctx = canvas.getContext("2d"), octx = overlay.getContext("2d");
  var icicle = !!data.icicle, inverted = false;
  var zoomed = 0, hovered = -1;
  var searchTerm = null, searchGaveUp = null, labelMatch = null, matches = [], current = -1;
  var width = 0, scale = 1, charWidth = fontSize * 0.6;
  // Browsers cap a canvas at about 32k pixels: very deep stacks show a window of rows that follows the zoom.
  var rows = maxDepth + 1, top = 0;
  var FONT = fontSize + "px Verdana, \"DejaVu Sans\", Arial, sans-serif";

  function orientationIcicle() { return inverted ? !icicle : icicle; }
  function rowY(d) { return (orientationIcicle() ? d - top : top + rows - 1 - d) * rowH; }
  function shown(d) { return d >= top && d < top + rows; }
  function placeRows() {
    top = N === 0 ? 0 : Math.max(0, Math.min(D[zoomed] - 8, maxDepth + 1 - rows));
  }

  function resize() {
    var dpr = window.devicePixelRatio || 1;
    rows = Math.max(1, Math.min(maxDepth + 1, Math.floor(30000 / rowH / dpr)));
    placeRows();
    var height = rows * rowH;
    // the height first: a scroll bar it brings takes width from the graph
    canvas.style.height = overlay.style.height = height + "px";
    width = Math.max(10, graph.clientWidth);
    [canvas, overlay].forEach(function (c) {
      c.width = Math.round(width * dpr); c.height = Math.round(height * dpr);
      c.style.width = width + "px";
      c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
    });
    ctx.font = FONT;
    charWidth = Math.max(fontSize * 0.45, ctx.measureText(WIDTH_SAMPLE).width / WIDTH_SAMPLE.length);
  }

  function drawFrame(i, x, w, dim) {
    var y = rowY(D[i]);
    ctx.globalAlpha = dim ? 0.5 : 1;
    ctx.fillStyle = labelMatch !== null && i > 0 && labelMatch[L[i]] ? HIGHLIGHT
      : nodeCss ? nodeCss[i] : fcss[LF[L[i]]];
    ctx.fillRect(x, y, w > 2 ? w - 0.5 : w, rowH - 1);
    if (w > 3 * charWidth + 2 * TEXT_PAD) {
      var t = fitText(label(i), w, charWidth, TEXT_PAD);
      if (t) { ctx.fillStyle = "rgb(0,0,0)"; ctx.fillText(t, x + TEXT_PAD, y + rowH - 4.5); }
    }
  }

  function draw() {
    ctx.clearRect(0, 0, width, rows * rowH);
    if (N === 0 || total === 0) { return; }
    ctx.font = FONT;
    ctx.textBaseline = "alphabetic";
    var z = zoomed, zx = X[z];
    scale = width / T[z];
    for (var a = P[z]; a >= 0; a = P[a]) { if (shown(D[a])) { drawFrame(a, 0, width, true); } }
    var end = E[z], below = top + rows;
    for (var i = z; i < end;) {
      var w = T[i] * scale;
      if (w < MIN_PX || D[i] >= below) { i = E[i]; continue; }
      drawFrame(i, (X[i] - zx) * scale, w, false);
      i++;
    }
    ctx.globalAlpha = 1;
    drawOverlay();
  }

  // The frame drawn at canvas position (x, y), or -1.
  function frameAt(x, y) {
    if (N === 0 || x < 0 || x >= width) { return -1; }
    var row = Math.floor(y / rowH);
    var d = orientationIcicle() ? row + top : top + rows - 1 - row;
    if (row < 0 || row >= rows || d > maxDepth) { return -1; }
    var z = zoomed;
    if (d < D[z]) {
      var a = z;
      while (D[a] > d) { a = P[a]; }
      return a;
    }
    var s = X[z] + x / scale;
    var lo = depthStart[d], hi = depthStart[d + 1] - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (X[byDepth[mid]] <= s) { best = byDepth[mid]; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (best < 0 || s >= X[best] + T[best] || best < z || best >= E[z]) { return -1; }
    // drawn only if it and all its ancestors below the zoomed frame are wide enough: its own width decides
    return T[best] * scale >= MIN_PX ? best : -1;
  }

  // Position of frame i on the canvas as drawn now, or null when it is not drawn.
  function frameBox(i) {
    if (i < 0 || i >= N || !shown(D[i])) { return null; }
    var z = zoomed;
    if (i !== z && (i < z || i >= E[z])) {
      for (var a = P[z]; a >= 0; a = P[a]) {
        if (a === i) { return {x: 0, y: rowY(D[i]), w: width, h: rowH - 1}; }
      }
      return null;
    }
    var w = T[i] * scale;
    if (w < MIN_PX) { return null; }
    return {x: (X[i] - X[z]) * scale, y: rowY(D[i]), w: w, h: rowH - 1};
  }

  function drawOverlay() {
    octx.clearRect(0, 0, width, rows * rowH);
    var marks = [];
    if (current >= 0 && current < matches.length) { marks.push([matches[current], "rgb(0,0,0)", 2]); }
    if (hovered >= 0) { marks.push([hovered, "rgb(0,0,0)", 1]); }
    marks.forEach(function (m) {
      var b = frameBox(m[0]);
      if (b) { octx.lineWidth = m[2]; octx.strokeStyle = m[1]; octx.strokeRect(b.x + 0.5, b.y + 0.5, Math.max(1, b.w - 1), b.h - 1); }
    });
  }

  // ---- zoom
  function zoom(i) {
    zoomed = i > 0 ? i : 0;
    unzoomBtn.hidden = zoomed === 0;
    hovered = -1;
    var oldTop = top;
    placeRows();
    if (top !== oldTop) { resize(); }
    draw();
    updateMatched();
    saveState();
  }

  // ---- search
  function search(term) {
    if (term === null || term === "") { resetSearch(); return true; }
    var found = findMatches(term, labels.length, function (l) { return labels[l]; });
    if (found.invalid !== null) { searchInput.classList.add("bad"); return false; }
    searchInput.classList.remove("bad");
    searchTerm = term;
    searchGaveUp = found.gaveUp;
    if (searchInput.value !== term) { searchInput.value = term; }
    labelMatch = found.matches !== null ? found.matches : new Uint8Array(labels.length);
    // outermost matches, left to right: the steps of next/previous
    matches = [];
    for (var i = 1; i < N;) {
      if (labelMatch[L[i]]) { matches.push(i); i = E[i]; } else { i++; }
    }
    current = -1;
    resetSearchBtn.hidden = false;
    draw();
    updateMatched();
    saveState();
    return true;
  }

  function resetSearch() {
    searchTerm = null; searchGaveUp = null; labelMatch = null; matches = []; current = -1;
    searchInput.value = ""; searchInput.classList.remove("bad");
    resetSearchBtn.hidden = true;
    draw();
    updateMatched();
    saveState();
  }

  // Share of the samples in view under a matching frame, each sample counted once.
  function updateMatched() {
    matchPos.textContent = searchTerm === null ? "" : searchGaveUp !== null ? searchGaveUp
      : matches.length === 0 ? "no matches"
      : (current >= 0 ? (current + 1) + " of " : "") + matches.length + (matches.length === 1 ? " match" : " matches");
    if (searchTerm === null || searchGaveUp !== null) { matchedText.textContent = ""; return; }
    var z = zoomed, sum = 0;
    for (var a = z; a > 0; a = P[a]) { if (labelMatch[L[a]]) { sum = T[z]; break; } }
    if (sum === 0) {
      for (var i = z === 0 ? 1 : z, end = E[z]; i < end;) {
        if (labelMatch[L[i]]) { sum += T[i]; i = E[i]; } else { i++; }
      }
    }
    matchedText.textContent = "Matched: " + (T[z] > 0 ? 100 * sum / T[z] : 0).toFixed(1) + "%";
  }

  function step(delta) {
    if (searchTerm === null || matches.length === 0) { return; }
    current = current < 0 ? (delta > 0 ? 0 : matches.length - 1)
      : (current + delta + matches.length) % matches.length;
    var i = matches[current];
    zoom(i);
    details.textContent = "Match " + (current + 1) + " of " + matches.length + ": " + info(i);
    var b = frameBox(i);
    if (b) {
      var r = canvas.getBoundingClientRect();
      var top = r.top + b.y, bottom = top + b.h;
      if (top < 120 || bottom > window.innerHeight - 40) { window.scrollBy(0, top - window.innerHeight / 2); }
    }
  }

  // ---- URL state: the SVG's and &i=1 when inverted
  function saveState() {
    saveUrlParams({s: searchTerm, x: zoomed > 0 ? X[zoomed] : null, y: zoomed > 0 ? D[zoomed] : null, i: inverted ? 1 : null});
  }

  function restoreState() {
    var params = urlParams();
    if (params === null) { return; }
    if (params.get("i") === "1") { inverted = true; invertedBox.checked = true; }
    var z = urlZoom(params);
    if (z !== null && z.depth >= 0 && z.depth <= maxDepth) {
      for (var j = depthStart[z.depth]; j < depthStart[z.depth + 1]; j++) {
        if (X[byDepth[j]] === z.start) { zoomed = byDepth[j]; unzoomBtn.hidden = zoomed === 0; break; }
      }
    }
    var s = params.get("s");
    if (s) { searchInput.value = s; search(s); }
  }

  // ---- table of functions by self and total time
  var fSelf = new Float64Array(nF), fTotal = new Float64Array(nF), fBSelf = null, fBTotal = null;
  (function () {
    var onPath = new Int32Array(nF), pathF = new Int32Array(maxDepth + 2), prev = -1, i, q, d, f;
    if (diff) { fBSelf = new Float64Array(nF); fBTotal = new Float64Array(nF); }
    for (i = 0; i < N; i++) {
      d = D[i];
      for (q = prev; q >= d; q--) { if (q > 0) { onPath[pathF[q]]--; } }
      if (d > 0) {
        f = LF[L[i]];
        pathF[d] = f;
        if (onPath[f] === 0) { fTotal[f] += T[i]; if (diff) { fBTotal[f] += BT[i]; } }
        onPath[f]++;
        if (diff) { fSelf[f] += T[i] - KS[i]; fBSelf[f] += BS[i]; } else { fSelf[f] += S[i]; }
      }
      prev = d;
    }
  })();
  var sortKey = "self", sortDesc = true, tableLimit = 200;
  function fnText(f) { return ffile[f] === null ? fname[f] : fname[f] + " (" + ffile[f] + ")"; }
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function fnRegex(f) {
    return ffile[f] === null ? "^" + escapeRe(fname[f]) + "$"
      : "^" + escapeRe(fname[f]) + " \\(" + escapeRe(ffile[f]) + "(:\\d+)?\\)$";
  }
  function renderTable() {
    var rows = [];
    for (var f = 0; f < nF; f++) { if (fTotal[f] > 0 || (fBTotal && fBTotal[f] > 0)) { rows.push(f); } }
    var key = function (f) {
      if (sortKey === "self") { return fSelf[f]; }
      if (sortKey === "total") { return fTotal[f]; }
      if (sortKey === "dself") { return share(fSelf[f], total) - share(fBSelf[f], diff.before); }
      if (sortKey === "dtotal") { return share(fTotal[f], total) - share(fBTotal[f], diff.before); }
      return 0;
    };
    rows.sort(function (a, b) {
      if (sortKey === "name") { var ta = fnText(a), tb = fnText(b); return (ta < tb ? -1 : ta > tb ? 1 : 0) * (sortDesc ? -1 : 1); }
      var d = key(a) - key(b);
      return (d !== 0 ? d : a - b) * (sortDesc ? -1 : 1);
    });
    var ths = document.querySelectorAll("#toptable th");
    for (var h = 0; h < ths.length; h++) {
      var k = ths[h].getAttribute("data-k");
      if (k === sortKey) { ths[h].setAttribute("aria-sort", sortDesc ? "descending" : "ascending"); }
      else { ths[h].removeAttribute("aria-sort"); }
    }
    var body = document.createElement("tbody");
    var shown = Math.min(rows.length, tableLimit);
    for (var r = 0; r < shown; r++) {
      var fi = rows[r], tr = document.createElement("tr");
      tr.setAttribute("data-f", String(fi));
      var name = document.createElement("td"), sw = document.createElement("span");
      sw.className = "sw"; sw.style.background = fcss[fi];
      name.appendChild(sw); name.appendChild(document.createTextNode(fnText(fi)));
      tr.appendChild(name);
      var cells = diff
        ? [fSelf[fi], pct(fSelf[fi], total), signed(share(fSelf[fi], total) - share(fBSelf[fi], diff.before)),
           fTotal[fi], pct(fTotal[fi], total), signed(share(fTotal[fi], total) - share(fBTotal[fi], diff.before))]
        : [fSelf[fi], pct(fSelf[fi], total), fTotal[fi], pct(fTotal[fi], total)];
      cells.forEach(function (v) { var td = document.createElement("td"); td.textContent = String(v); tr.appendChild(td); });
      body.appendChild(tr);
    }
    var table = $("toptable");
    table.replaceChild(body, table.tBodies[0]);
    $("topnote").textContent = rows.length + " functions" + (shown < rows.length ? ", the first " + shown + " shown" : "")
      + "; total counts each sample once, however deep the recursion. Click a row to search for it.";
  }

  // ---- events
  function canvasPos(e) {
    var r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }
  canvas.addEventListener("mousemove", function (e) {
    var p = canvasPos(e), i = frameAt(p[0], p[1]);
    if (i !== hovered) {
      hovered = i;
      details.textContent = i >= 0 ? hoverText(i) : " ";
      if (src !== null) { canvas.style.cursor = i >= 0 && sourceOf(i) === null ? "zoom-in" : "pointer"; }
      drawOverlay();
    }
  });
  canvas.addEventListener("mouseleave", function () { hovered = -1; details.textContent = " "; drawOverlay(); });
  canvas.addEventListener("click", function (e) {
    var p = canvasPos(e), i = frameAt(p[0], p[1]);
    if (i >= 0) { zoom(i); details.textContent = info(i); showSource(i); }
  });
  unzoomBtn.addEventListener("click", function () { zoom(0); });
  resetSearchBtn.addEventListener("click", function () { resetSearch(); });
  $("next").addEventListener("click", function () { step(1); });
  $("prev").addEventListener("click", function () { step(-1); });
  invertedBox.addEventListener("change", function () { inverted = invertedBox.checked; draw(); saveState(); });
  var pending = null;
  searchInput.addEventListener("input", function () {
    if (pending !== null) { clearTimeout(pending); }
    pending = setTimeout(function () { pending = null; if (searchInput.value !== (searchTerm || "")) { search(searchInput.value); } }, 150);
  });
  searchInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      e.preventDefault();
      if (pending !== null) { clearTimeout(pending); pending = null; }
      if (searchInput.value !== (searchTerm || "")) { search(searchInput.value); }
      else { step(e.shiftKey ? -1 : 1); }
    } else if (e.key === "Escape") {
      resetSearch(); searchInput.blur();
    }
  });
  window.addEventListener("keydown", function (e) {
    var key = e.key || "";
    // the heatmap page leaves Ctrl-F to the browser: its sources are what a reader searches there
    if ((e.ctrlKey || e.metaKey) && key.toLowerCase() === "f" && src === null) {
      e.preventDefault(); searchInput.focus(); searchInput.select();
    } else if (key === "F3") {
      e.preventDefault();
      if (searchTerm === null) { searchInput.focus(); } else { step(e.shiftKey ? -1 : 1); }
    } else if (key === "Escape" && searchTerm !== null && document.activeElement !== searchInput) {
      resetSearch();
    }
  });
  $("tablebtn").addEventListener("click", function () {
    var sec = $("top");
    sec.hidden = !sec.hidden;
    if (!sec.hidden) { renderTable(); sec.scrollIntoView(); }
  });
  $("toptable").tHead.addEventListener("click", function (e) {
    var k = e.target.getAttribute && e.target.getAttribute("data-k");
    if (!k) { return; }
    if (k === sortKey) { sortDesc = !sortDesc; } else { sortKey = k; sortDesc = k !== "name"; }
    renderTable();
  });
  $("toptable").addEventListener("click", function (e) {
    var el = e.target;
    while (el && el.tagName !== "TR") { el = el.parentNode; }
    if (!el || !el.hasAttribute("data-f")) { return; }
    var re = fnRegex(parseInt(el.getAttribute("data-f"), 10));
    search(re);
    window.scrollTo(0, 0);
  });
  var resizeQueued = false;
  window.addEventListener("resize", function () {
    if (resizeQueued) { return; }
    resizeQueued = true;
    requestAnimationFrame(function () { resizeQueued = false; resize(); draw(); });
  });

  if (N === 0 || total === 0) {
    $("empty").hidden = false;
    graph.hidden = true;
  }
  resize();
  restoreState();
  resize();
  draw();
  updateMatched();

  // For scripts and tests: find frames, where they are drawn, and what the page shows.
  window.pyspy = {
    count: N,
    loadMillis: performance.now() - t0,
    find: function (prefix, nth) {
      var seen = 0;
      for (var i = 0; i < N; i++) {
        if (info(i).indexOf(prefix) === 0 && seen++ === (nth || 0)) { return i; }
      }
      return -1;
    },
    box: function (i) {
      var b = frameBox(i);
      if (!b) { return null; }
      var r = canvas.getBoundingClientRect();
      return {x: r.left + b.x, y: r.top + b.y, w: b.w, h: b.h, canvasWidth: width};
    },
    info: info,
    source: sourceOf,
    state: function () {
      return {zoomed: zoomed, zoomedLabel: label(zoomed), search: searchTerm, matched: matchedText.textContent,
        matches: matches.length, current: current, inverted: inverted, icicle: orientationIcicle(),
        highlighted: labelMatch === null ? 0 : matches.length};
    },
    isHighlighted: function (i) { return labelMatch !== null && i > 0 && labelMatch[L[i]] === 1; },
    functions: function () {
      var out = [];
      for (var f = 0; f < nF; f++) { out.push({name: fnText(f), self: fSelf[f], total: fTotal[f]}); }
      return out;
    },
    search: search,
    zoom: zoom,
    step: step
  };
})();
