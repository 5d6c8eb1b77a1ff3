package dev.pyspy.output;

/**
 * Style sheet and script embedded in every flame graph SVG. Kept apart from the writer so that the
 * markup code stays readable; the script reads everything it needs from the document (frame groups
 * carry {@code data-s} start, {@code data-n} width in samples and {@code data-d} depth; the
 * {@code #frames} element carries {@code data-total}, {@code data-font-size} and {@code data-pad}).
 */
final class FlameGraphScript {
    private FlameGraphScript() {
    }

    /** Colour of frames that match a search. */
    static final String HIGHLIGHT = "rgb(230,0,230)";

    static final String CSS = """
            text { font-family: Verdana, "DejaVu Sans", Arial, sans-serif; fill: rgb(0,0,0); }
            #title { text-anchor: middle; font-weight: bold; }
            #legend { text-anchor: middle; fill: rgb(60,60,60); }
            #search, #matched { text-anchor: end; }
            #search, #unzoom { cursor: pointer; fill: rgb(0,0,160); }
            #search:hover, #unzoom:hover { text-decoration: underline; }
            #frames .f { cursor: pointer; }
            #frames .f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }
            #frames text { pointer-events: none; }
            .parent { opacity: 0.5; }
            .hide { display: none; }
            """;

    /** The script; contains no {@code ]]>}, so it can sit in a CDATA section. */
    static final String JS = """
            "use strict";
            var svg, framesEl, detailsText, searchBtn, unzoomBtn, matchedText;
            var frames = [];
            var total = 0, fontSize = 12, pad = 10, charWidth = 0.59, textPad = 3;
            var zoomRoot = null;
            var searchTerm = null;
            var HIGHLIGHT = "%HIGHLIGHT%";

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
                var sample = "abcdefghijklmnopqrstuvwxyz_ (heavy.py:123) ABCDEFGHIJKLMNOPQRSTUVWXYZ";
                probe.setAttribute("x", "0");
                probe.setAttribute("y", "-100");
                probe.setAttribute("font-size", String(fontSize));
                probe.textContent = sample;
                framesEl.appendChild(probe);
                var len = probe.getComputedTextLength();
                framesEl.removeChild(probe);
                if (len > 0) { charWidth = Math.max(0.45, 1.05 * len / sample.length / fontSize); }
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
              var max = Math.floor((px - 2 * textPad) / (fontSize * charWidth));
              var t;
              if (max < 3) { t = ""; }
              else if (f.label.length <= max) { t = f.label; }
              else { t = f.label.substring(0, max - 2) + ".."; }
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

            function compile(term) {
              var flags = "";
              if (term.indexOf("(?i)") === 0) { flags = "i"; term = term.substring(4); }
              try {
                return new RegExp(term, flags);
              } catch (e) {
                if (typeof alert === "function") { alert("Not a valid regular expression: " + e.message); }
                return null;
              }
            }

            function searchPrompt() {
              var term = prompt("Search frames (regular expression; start with (?i) to ignore case):",
                                searchTerm === null ? "" : searchTerm);
              if (term !== null && term !== "") { search(term); }
            }

            function search(term) {
              var re = compile(term);
              if (!re) { return false; }
              searchTerm = term;
              for (var i = 0; i < frames.length; i++) {
                var f = frames[i];
                f.match = f.d > 0 && re.test(f.label);
                f.rect.setAttribute("fill", f.match ? HIGHLIGHT : f.fill);
              }
              searchBtn.textContent = "Reset Search";
              updateMatched();
              saveState();
              return true;
            }

            function resetSearch() {
              searchTerm = null;
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
              try {
                var params = new URLSearchParams(window.location.search);
                if (searchTerm !== null) { params.set("s", searchTerm); } else { params["delete"]("s"); }
                if (zoomRoot) {
                  params.set("x", String(zoomRoot.s));
                  params.set("y", String(zoomRoot.d));
                } else {
                  params["delete"]("x");
                  params["delete"]("y");
                }
                var q = params.toString();
                history.replaceState(null, "", window.location.pathname + (q ? "?" + q : "") + window.location.hash);
              } catch (e) {
                // some viewers (file: URLs in a few browsers) refuse; the graph works regardless
              }
            }

            function restoreState() {
              var params;
              try { params = new URLSearchParams(window.location.search); } catch (e) { return; }
              var x = params.get("x"), y = params.get("y");
              if (x !== null && y !== null) {
                var xs = parseFloat(x), yd = parseInt(y, 10);
                for (var i = 0; i < frames.length; i++) {
                  if (frames[i].s === xs && frames[i].d === yd) {
                    if (yd > 0) { zoom(frames[i]); }
                    break;
                  }
                }
              }
              var s = params.get("s");
              if (s) { search(s); }
            }
            """.replace("%HIGHLIGHT%", HIGHLIGHT);
}
