// The SVG flame graph's script; flamegraph-common.js comes before it. It reads everything it needs from
// the document: frame groups carry data-s (start), data-n (width in samples) and data-d (depth); the
// #frames element carries data-total, data-font-size and data-pad.
var svg, framesEl, detailsText, searchBtn, unzoomBtn, matchedText;
var frames = [];
var total = 0, fontSize = 12, pad = 10, charWidth = 0.59, textPad = 3;
var zoomRoot = null;
var searchTerm = null;
var searchGaveUp = null;

function init(evt) {
  svg = document.documentElement;
  framesEl = document.getElementById("frames");
  detailsText = document.getElementById("details");
  searchBtn = document.getElementById("search");
  unzoomBtn = document.getElementById("unzoom");
  matchedText = document.getElementById("matched");
  if (!framesEl) { return; }
  total = parseFloat(framesEl.getAttribute("data-total")) || 0;
  fontSize = parseFloat(framesEl.getAttribute("data-font-size")) || 12;
  pad = parseFloat(framesEl.getAttribute("data-pad")) || 10;
  var gs = framesEl.getElementsByTagName("g");
  for (var i = 0; i < gs.length; i++) {
    var g = gs[i];
    var rect = g.getElementsByTagName("rect")[0];
    var info = g.getElementsByTagName("title")[0].textContent;
    var cut = info.lastIndexOf(" (");
    var f = {
      g: g, rect: rect, text: g.getElementsByTagName("text")[0],
      s: parseFloat(g.getAttribute("data-s")), n: parseFloat(g.getAttribute("data-n")),
      d: parseInt(g.getAttribute("data-d"), 10),
      label: cut > 0 ? info.substring(0, cut) : info, info: info,
      fill: rect.getAttribute("fill"), x0: parseFloat(rect.getAttribute("x")),
      w0: parseFloat(rect.getAttribute("width")), cw: 0, match: false, hidden: false
    };
    f.cw = f.w0;
    g.setAttribute("data-i", String(i));
    frames.push(f);
  }
  measureFont();
  framesEl.addEventListener("click", function (e) {
    var f = frameOf(e.target);
    if (f) { if (f.d === 0) { unzoom(); } else { zoom(f); } }
  });
  framesEl.addEventListener("mouseover", function (e) {
    var f = frameOf(e.target);
    if (f) { detailsText.textContent = f.info; }
  });
  framesEl.addEventListener("mouseout", function () { detailsText.textContent = " "; });
  unzoomBtn.addEventListener("click", function () { unzoom(); });
  searchBtn.addEventListener("click", function () {
    if (searchTerm !== null) { resetSearch(); } else { searchPrompt(); }
  });
  window.addEventListener("keydown", function (e) {
    var key = e.key || "";
    if (((e.ctrlKey || e.metaKey) && key.toLowerCase() === "f") || key === "F3") {
      e.preventDefault();
      searchPrompt();
    } else if (key === "Escape" && searchTerm !== null) {
      resetSearch();
    }
  });
  window.addEventListener("resize", refit);
  svg.setAttribute("width", "100%");
  restoreState();
  refit();
}

function frameOf(el) {
  while (el && el !== framesEl) {
    if (el.getAttribute && el.getAttribute("data-i") !== null) {
      return frames[parseInt(el.getAttribute("data-i"), 10)];
    }
    el = el.parentNode;
  }
  return null;
}

// Average width of one label character, measured once with the font actually used.
function measureFont() {
  try {
    var probe = document.createElementNS("http://www.w3.org/2000/svg", "text");
    probe.setAttribute("x", "0");
    probe.setAttribute("y", "-100");
    probe.setAttribute("font-size", String(fontSize));
    probe.textContent = WIDTH_SAMPLE;
    framesEl.appendChild(probe);
    var len = probe.getComputedTextLength();
    framesEl.removeChild(probe);
    if (len > 0) { charWidth = Math.max(0.45, 1.05 * len / WIDTH_SAMPLE.length / fontSize); }
  } catch (e) {
    // keep the estimate
  }
}

function framesWidth() {
  var w = svg.getBoundingClientRect().width;
  if (!(w > 0)) { w = svg.width.baseVal.value; }
  return Math.max(10, w - 2 * pad);
}

function refit() {
  var fw = framesWidth();
  framesEl.setAttribute("width", String(fw));
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    if (!f.hidden) { fitLabel(f, fw * f.cw / 100); }
  }
}

function fitLabel(f, px) {
  var t = fitText(f.label, px, fontSize * charWidth, textPad);
  if (f.text.textContent !== t) { f.text.textContent = t; }
}

function place(f, x, w) {
  f.rect.setAttribute("x", x + "%");
  f.rect.setAttribute("width", w + "%");
  f.text.setAttribute("x", x + "%");
  f.cw = w;
}

function show(f) {
  if (f.hidden) { f.g.classList.remove("hide"); f.hidden = false; }
}

function hide(f) {
  if (!f.hidden) { f.g.classList.add("hide"); f.hidden = true; }
}

function zoom(z) {
  zoomRoot = z;
  var zs = z.s, ze = z.s + z.n;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    var fe = f.s + f.n;
    if (f.d < z.d) {
      if (f.s <= zs && fe >= ze) {
        show(f);
        f.g.classList.add("parent");
        place(f, 0, 100);
      } else {
        hide(f);
      }
    } else if (f.s >= zs && fe <= ze) {
      show(f);
      f.g.classList.remove("parent");
      place(f, (f.s - zs) / z.n * 100, f.n / z.n * 100);
    } else {
      hide(f);
    }
  }
  unzoomBtn.classList.remove("hide");
  updateMatched();
  refit();
  saveState();
}

function unzoom() {
  zoomRoot = null;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    show(f);
    f.g.classList.remove("parent");
    place(f, f.x0, f.w0);
  }
  unzoomBtn.classList.add("hide");
  updateMatched();
  refit();
  saveState();
}

function searchPrompt() {
  var term = prompt("Search frames (regular expression; start with (?i) to ignore case):",
                    searchTerm === null ? "" : searchTerm);
  if (term !== null && term !== "") { search(term); }
}

function search(term) {
  var found = findMatches(term, frames.length, function (i) { return frames[i].label; });
  if (found.invalid !== null) {
    if (typeof alert === "function") { alert("Not a valid regular expression: " + found.invalid); }
    return false;
  }
  searchTerm = term;
  searchGaveUp = found.gaveUp;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    f.match = f.d > 0 && found.matches !== null && found.matches[i] === 1;
    f.rect.setAttribute("fill", f.match ? HIGHLIGHT : f.fill);
  }
  searchBtn.textContent = "Reset Search";
  updateMatched();
  saveState();
  return true;
}

function resetSearch() {
  searchTerm = null;
  searchGaveUp = null;
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    f.match = false;
    f.rect.setAttribute("fill", f.fill);
  }
  searchBtn.textContent = "Search";
  updateMatched();
  saveState();
}

// Share of the samples in view whose stack holds a match; a sample counts once however
// many of its frames match (nested spans are merged).
function updateMatched() {
  if (searchTerm === null) { matchedText.textContent = " "; return; }
  if (searchGaveUp !== null) { matchedText.textContent = searchGaveUp; return; }
  var lo = zoomRoot ? zoomRoot.s : 0;
  var hi = zoomRoot ? zoomRoot.s + zoomRoot.n : total;
  var spans = [];
  for (var i = 0; i < frames.length; i++) {
    var f = frames[i];
    if (!f.match) { continue; }
    var a = Math.max(f.s, lo), b = Math.min(f.s + f.n, hi);
    if (b > a) { spans.push([a, b]); }
  }
  spans.sort(function (p, q) { return p[0] - q[0]; });
  var sum = 0, curA = 0, curB = -1;
  for (var j = 0; j < spans.length; j++) {
    var sp = spans[j];
    if (sp[0] > curB) {
      if (curB > curA) { sum += curB - curA; }
      curA = sp[0];
      curB = sp[1];
    } else if (sp[1] > curB) {
      curB = sp[1];
    }
  }
  if (curB > curA) { sum += curB - curA; }
  var pct = hi > lo ? 100 * sum / (hi - lo) : 0;
  matchedText.textContent = "Matched: " + pct.toFixed(1) + "%";
}

function saveState() {
  saveUrlParams({s: searchTerm, x: zoomRoot ? zoomRoot.s : null, y: zoomRoot ? zoomRoot.d : null});
}

function restoreState() {
  var params = urlParams();
  if (params === null) { return; }
  var z = urlZoom(params);
  if (z !== null) {
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].s === z.start && frames[i].d === z.depth) {
        if (z.depth > 0) { zoom(frames[i]); }
        break;
      }
    }
  }
  var s = params.get("s");
  if (s) { search(s); }
}
