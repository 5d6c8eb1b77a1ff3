"use strict";
// Shared by the SVG and the HTML flame graph: searching labels, fitting labels, the state in the URL.

/** Fill of frames that match a search. */
var HIGHLIGHT = "rgb(230,0,230)";
/** Text whose average character width sizes the labels. */
var WIDTH_SAMPLE = "abcdefghijklmnopqrstuvwxyz_ (heavy.py:123) ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** A search over all labels that takes longer than this stops, and the page says so. */
var SEARCH_BUDGET_MS = 1000;

/** The text cut with ".." to fit px pixels at charPx a character, or "" when fewer than 3 characters fit. */
function fitText(text, px, charPx, textPad) {
  var max = Math.floor((px - 2 * textPad) / charPx);
  if (max < 3) { return ""; }
  return text.length <= max ? text : text.substring(0, max - 2) + "..";
}

// ---- URL state: ?s=regex&x=start&y=depth (the HTML page adds &i=1)

function urlParams() {
  try { return new URLSearchParams(window.location.search); } catch (e) { return null; }
}

/** The zoomed frame named by the URL, {start, depth}, or null. */
function urlZoom(params) {
  var x = params.get("x"), y = params.get("y");
  if (x === null || y === null) { return null; }
  return {start: parseFloat(x), depth: parseInt(y, 10)};
}

/** Sets the given parameters in the URL (null removes one) and keeps the others. */
function saveUrlParams(values) {
  try {
    var params = new URLSearchParams(window.location.search);
    Object.keys(values).forEach(function (k) {
      if (values[k] === null) { params["delete"](k); } else { params.set(k, String(values[k])); }
    });
    var q = params.toString();
    history.replaceState(null, "", window.location.pathname + (q ? "?" + q : "") + window.location.hash);
  } catch (e) {
    // some viewers (file: URLs in a few browsers) refuse; the graph works regardless
  }
}

// ---- search
//
// A regular expression from a link or the search box may backtrack for ever in the browser's engine
// (`(.+)+$X`), so labels are matched by simulating the expression's automaton instead: the time is
// linear in the label's length whatever the expression. The browser's RegExp still judges the syntax
// and what each single character matches, so results are those of a JavaScript RegExp. Lookaround
// and backreferences cannot be matched that way; such searches are not run, and the page says so.

var SEARCH_MAX_PROGRAM = 20000;
var OP_CHAR = 0, OP_SPLIT = 1, OP_JMP = 2, OP_ASSERT = 3, OP_MATCH = 4;

/** Thrown while compiling an expression that is valid but cannot be searched in bounded time. */
function SearchNotRun(reason) { this.reason = reason; }

/**
 * Matches term ("(?i)" in front ignores case) against count labels, labelAt(i) giving each:
 * {matches: Uint8Array of 1 for a match, or null; invalid: the syntax error, or null;
 *  gaveUp: why the search was not run or not finished, or null}.
 */
function findMatches(term, count, labelAt) {
  var flags = "";
  if (term.indexOf("(?i)") === 0) { flags = "i"; term = term.substring(4); }
  try {
    new RegExp(term, flags);
  } catch (e) {
    return {matches: null, invalid: e.message, gaveUp: null};
  }
  var matcher;
  try {
    matcher = compileMatcher(term, flags);
  } catch (e) {
    var reason = e instanceof SearchNotRun ? e.reason
      : e instanceof RangeError ? "the expression is nested too deeply" : null;
    if (reason === null) { throw e; }
    return {matches: null, invalid: null, gaveUp: "Search not run: " + reason};
  }
  var out = new Uint8Array(count), t0 = performance.now();
  for (var i = 0; i < count; i++) {
    if ((i & 63) === 63 && performance.now() - t0 > SEARCH_BUDGET_MS) {
      return {matches: null, invalid: null, gaveUp: "Search stopped after " + SEARCH_BUDGET_MS / 1000 + " s"};
    }
    out[i] = matcher(labelAt(i)) ? 1 : 0;
  }
  return {matches: out, invalid: null, gaveUp: null};
}

/** A syntax tree of a valid expression, with single characters left to the browser's RegExp. */
function parseSearch(src, flags) {
  var p = 0;
  var ESCAPE = /^\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|c[A-Za-z]|[0-3][0-7]{0,2}|[4-7][0-7]?|[\s\S])/;
  var COUNT = /^\{(\d+)(,(\d*))?\}/;

  function atom(text) {
    var re = new RegExp("^(?:" + text + ")$", flags), known = new Int8Array(128);
    return {t: "atom", test: function (c) {
      if (c < 128) {
        if (known[c] === 0) { known[c] = re.test(String.fromCharCode(c)) ? 1 : -1; }
        return known[c] === 1;
      }
      return re.test(String.fromCharCode(c));
    }};
  }

  function alternatives() {
    var seqs = [sequence()];
    while (src.charAt(p) === "|") { p++; seqs.push(sequence()); }
    return seqs.length === 1 ? seqs[0] : {t: "alt", a: seqs};
  }

  function sequence() {
    var items = [];
    while (p < src.length && src.charAt(p) !== "|" && src.charAt(p) !== ")") { items.push(quantified()); }
    return {t: "seq", a: items};
  }

  function quantified() {
    var node = term(), c = src.charAt(p), min, max;
    if (c === "*") { min = 0; max = Infinity; p++; }
    else if (c === "+") { min = 1; max = Infinity; p++; }
    else if (c === "?") { min = 0; max = 1; p++; }
    else {
      var m = c === "{" ? COUNT.exec(src.substring(p)) : null;
      if (!m) { return node; }
      min = parseInt(m[1], 10);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : parseInt(m[3], 10);
      p += m[0].length;
    }
    if (src.charAt(p) === "?") { p++; }   // lazy or greedy: the same for whether a label matches
    return {t: "rep", n: node, min: min, max: max};
  }

  function term() {
    var c = src.charAt(p);
    if (c === "^" || c === "$") { p++; return {t: "assert", k: c}; }
    if (c === "(") {
      if (/^\(\?(=|!|<=|<!)/.test(src.substring(p))) { throw new SearchNotRun("lookaround is not supported"); }
      if (src.substring(p, p + 3) === "(?:") { p += 3; }
      else if (src.substring(p, p + 3) === "(?<") { p = src.indexOf(">", p) + 1; }   // a named group
      else if (src.substring(p, p + 2) === "(?") { throw new SearchNotRun("modifiers are not supported"); }
      else { p++; }
      var inner = alternatives();
      p++;
      return inner;
    }
    if (c === "[") {
      var end = p + 1;
      if (src.charAt(end) === "^") { end++; }
      while (src.charAt(end) !== "]") { end += src.charAt(end) === "\\" ? 2 : 1; }
      var cls = src.substring(p, end + 1);
      p = end + 1;
      return atom(cls);
    }
    if (c === "\\") {
      var e = src.charAt(p + 1);
      if (e === "b" || e === "B") { p += 2; return {t: "assert", k: e}; }
      if (/[1-9k]/.test(e)) { throw new SearchNotRun("backreferences are not supported"); }
      var esc = ESCAPE.exec(src.substring(p))[0];
      p += esc.length;
      return atom(esc);
    }
    p++;
    return atom(/[{}\]]/.test(c) ? "\\" + c : c);
  }

  return alternatives();
}

/**
 * Whether the browser's RegExp runs the expression in time linear in the input: no repetition, and
 * alternation only between sequences of single characters and assertions, so it never backtracks
 * into a choice it has already made.
 */
function isPlain(tree) {
  var seqs = tree.t === "alt" ? tree.a : [tree];
  return seqs.every(function (seq) {
    return seq.t === "atom" || seq.t === "assert"
      || (seq.t === "seq" && seq.a.every(function (n) { return n.t === "atom" || n.t === "assert"; }));
  });
}

/** A function telling whether a string holds a match of src, in time linear in the string's length. */
function compileMatcher(src, flags) {
  var prog = [];
  function add(ins) {
    if (prog.length >= SEARCH_MAX_PROGRAM) { throw new SearchNotRun("the expression is too large"); }
    prog.push(ins);
    return ins;
  }
  function emit(node) {
    var i, split, jumps;
    if (node.t === "seq") {
      for (i = 0; i < node.a.length; i++) { emit(node.a[i]); }
    } else if (node.t === "alt") {
      jumps = [];
      for (i = 0; i < node.a.length; i++) {
        split = i < node.a.length - 1 ? add({op: OP_SPLIT, x: prog.length + 1, y: 0}) : null;
        emit(node.a[i]);
        if (split) { jumps.push(add({op: OP_JMP, x: 0})); split.y = prog.length; }
      }
      jumps.forEach(function (j) { j.x = prog.length; });
    } else if (node.t === "atom") {
      add({op: OP_CHAR, test: node.test});
    } else if (node.t === "assert") {
      add({op: OP_ASSERT, k: node.k});
    } else {
      for (i = 0; i < node.min; i++) { emit(node.n); }
      if (node.max === Infinity) {
        var loop = prog.length;
        split = add({op: OP_SPLIT, x: loop + 1, y: 0});
        emit(node.n);
        add({op: OP_JMP, x: loop});
        split.y = prog.length;
      } else {
        jumps = [];
        for (i = node.min; i < node.max; i++) {
          jumps.push(add({op: OP_SPLIT, x: prog.length + 1, y: 0}));
          emit(node.n);
        }
        jumps.forEach(function (j) { j.y = prog.length; });
      }
    }
  }
  var tree = parseSearch(src, flags);
  if (isPlain(tree)) {
    var re = new RegExp(src, flags);
    return function (text) { return re.test(text); };
  }
  emit(tree);
  add({op: OP_MATCH});

  var n = prog.length, op = new Int8Array(n), jx = new Int32Array(n), jy = new Int32Array(n), tests = new Array(n);
  var ASSERTS = "^$bB", kind = new Int8Array(n), wordBoundaries = false;
  prog.forEach(function (ins, pc) {
    op[pc] = ins.op;
    jx[pc] = ins.x || 0;
    jy[pc] = ins.y || 0;
    tests[pc] = ins.test || null;
    kind[pc] = ins.op === OP_ASSERT ? ASSERTS.indexOf(ins.k) : 0;
    wordBoundaries = wordBoundaries || kind[pc] >= 2;
  });
  // a match that must start at the beginning is not looked for further on
  var anchored = op[0] === OP_ASSERT && kind[0] === 0;
  var mark = new Int32Array(n), gen = 0, stack = new Int32Array(n), sp = 0;
  var s = "";

  function isWord(i) {
    if (i < 0 || i >= s.length) { return false; }
    var c = s.charCodeAt(i);
    return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  }
  function holds(k, i) {
    if (k === 0) { return i === 0; }
    if (k === 1) { return i === s.length; }
    return (isWord(i - 1) !== isWord(i)) === (k === 2);
  }
  function newGeneration() {
    if (++gen > 1e9) { mark.fill(0); gen = 1; }
  }
  function push(pc) {
    if (mark[pc] !== gen) { mark[pc] = gen; stack[sp++] = pc; }
  }
  // Walks from the pushed instructions to all reachable without reading a character at position i of
  // s, handing each that reads one to take(pc) and each assertion that fails to blocked(pc) if given;
  // returns whether a match completed.
  function follow(i, take, blocked) {
    var matched = false;
    while (sp > 0) {
      var at = stack[--sp], o = op[at];
      if (o === OP_CHAR) { take(at); }
      else if (o === OP_MATCH) { matched = true; }
      else if (o === OP_JMP) { push(jx[at]); }
      else if (o === OP_SPLIT) { push(jx[at]); push(jy[at]); }
      else if (holds(kind[at], i)) { push(at + 1); }
      else if (blocked) { blocked(at); }
    }
    return matched;
  }
  return wordBoundaries ? simulate() : cachedStates();

  // The automaton's states followed one character at a time (word boundaries depend on the
  // characters on both sides, so these expressions are run this way).
  function simulate() {
    var cur = new Int32Array(n), next = new Int32Array(n), nNext = 0;
    function take(pc) { next[nNext++] = pc; }
    return function (text) {
      s = text;
      newGeneration();
      nNext = 0;
      push(0);
      var matched = follow(0, take);
      for (var i = 0; !matched && i < s.length && (nNext > 0 || !anchored); i++) {
        var t = cur, nCur = nNext;
        cur = next; next = t; nNext = 0;
        newGeneration();
        var c = s.charCodeAt(i);
        for (var j = 0; j < nCur; j++) {
          if (tests[cur[j]](c)) { push(cur[j] + 1); }
        }
        if (!anchored) { push(0); }   // a match may start anywhere
        matched = follow(i + 1, take);
      }
      return matched;
    };
  }

  // The same automaton, each set of states it can be in made once and its transitions remembered,
  // so that a label costs about one table look-up a character. Between the first and the last
  // character "^" and "$" never hold (position -1 stands for any such place); "$" instructions
  // reached are kept with the set and tried at the end.
  function cachedStates() {
    var MAX_SETS = 4000, sets = [], ids = new Map(), chars = [], ends = [];
    function take(pc) { chars.push(pc); }
    function keepEnd(pc) { if (kind[pc] === 1) { ends.push(pc); } }
    function numeric(a, b) { return a - b; }
    // The set reached from the pushed instructions at position i of s: 0, or -1 for the middle.
    function intern(i) {
      chars = [];
      ends = [];
      var matched = follow(i, take, keepEnd);
      chars.sort(numeric);
      ends.sort(numeric);
      var key = chars.join(",") + "/" + ends.join(",") + (matched ? "/m" : "");
      var id = ids.get(key);
      if (id === undefined) {
        id = sets.length;
        ids.set(key, id);
        sets.push({chars: chars, ends: ends, matched: matched, endMatch: -1, next: new Int32Array(128).fill(-1),
          other: new Map()});
      }
      return id;
    }
    function step(set, c) {
      newGeneration();
      for (var j = 0; j < set.chars.length; j++) {
        if (tests[set.chars[j]](c)) { push(set.chars[j] + 1); }
      }
      if (!anchored) { push(0); }   // a match may start anywhere
      return intern(-1);
    }
    function matchesAtEnd(set) {
      if (set.endMatch < 0) {
        newGeneration();
        set.ends.forEach(function (pc) { push(pc + 1); });
        set.endMatch = follow(s.length, function () {}) ? 1 : 0;
      }
      return set.endMatch === 1;
    }
    return function (text) {
      s = text;
      if (s.length === 0) {
        newGeneration();
        push(0);
        return follow(0, function () {});
      }
      if (sets.length > MAX_SETS) { sets = []; ids.clear(); }
      newGeneration();
      push(0);
      var set = sets[intern(0)];
      for (var i = 0; !set.matched && i < s.length; i++) {
        var c = s.charCodeAt(i), to = c < 128 ? set.next[c] : set.other.get(c);
        if (to === undefined || to < 0) {
          to = step(set, c);
          if (c < 128) { set.next[c] = to; } else { set.other.set(c, to); }
        }
        set = sets[to];
      }
      return set.matched || matchesAtEnd(set);
    };
  }
}
