// Run by WebAssetsTest: node search-agrees-with-regexp.js flamegraph-common.js
// Prints one line per disagreement with the browser's RegExp or per broken bound, and exits 1 if any.
"use strict";
const fs = require("fs");
const vm = require("vm");
vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"));

const failures = [];
const labels = [
  "all", "", "heavy_a (heavy.py:5)", "heavy_b (heavy.py:12)", "worker_loop (heavy.py:18)",
  "dot (/venv/lib/python3.11/site-packages/numpy/core/multiarray.py:10)", "x]] (y.py:1)",
  "<lambda> & \"quoted\" <tag> (a<b>&\"c\".py:2)", "Ünïcode_fn (ü.py:3)", "abc{,5}", "ab\ncd",
  "a".repeat(40), "under_score word", "Tab\there", "émoji 😀 (e.py:1)",
];
// Expressions that the browser's RegExp runs quickly on these labels.
const expressions = [
  "heavy_a", "heavy_.|worker_loop", "(?i)DOT", "^x]]", "\\bdot\\b", "a{3,5}b", "^a{3}$", "^a{40}$", "^a{41}",
  "(a|aa)*$", "\\d+\\)$", "[^a-z]", "[]", "[^]", "a{,5}", "c{,5}$", "\\(heavy", "(?i)ü", "(?i)Ü", "^(?:heavy|dot) \\(",
  "\\Bor", "e$", "^$", "\\w+_\\w+", "(?<n>heavy)_b", "[\\]]]", "\\x61{2}", "b.c", "b[\\s\\S]c", "x*",
  "^.*:1\\d\\)$", "\\.py:\\d{1,2}\\)", "(?i)[A-C]", "^[^(]*\\(\\S+\\)$", "(?i)^HEAVY_(a|b)\\b", "a+?b", "(a?){2,}x",
  "\\u00dc", "\\t", "a$|^w", "(x|$)", "o$|_$", "^$|all", "(^|_)b", "a(?:$|_)", "(?:y|^)[a-z]+_", "$a", "\\s\\w{4}$", "😀", "[😀]", "\\W{2,}", "^(|a)b", "(?:)", "a|", "ñ|ï", "[a-c-e]", "\\ud83d",
];
for (const expression of expressions) {
  let source = expression, flags = "";
  if (source.startsWith("(?i)")) { flags = "i"; source = source.substring(4); }
  const re = new RegExp(source, flags);
  const found = findMatches(expression, labels.length, (i) => labels[i]);
  if (found.matches === null) {
    failures.push(expression + ": not searched: " + (found.invalid || found.gaveUp));
    continue;
  }
  labels.forEach((label, i) => {
    if ((found.matches[i] === 1) !== re.test(label)) {
      failures.push(expression + " on " + JSON.stringify(label) + ": RegExp says " + re.test(label));
    }
  });
}

function expect(what, actual, wanted) {
  if (actual !== wanted) { failures.push(what + ": " + JSON.stringify(actual) + ", wanted " + JSON.stringify(wanted)); }
}
function gaveUp(expression, count) {
  return findMatches(expression, count || 1, () => "a".repeat(40)).gaveUp;
}

expect("syntax error", findMatches("[a", 1, () => "a").invalid, "Invalid regular expression: /[a/: Unterminated character class");
expect("backreference", gaveUp("(.+)+\\1X"), "Search not run: backreferences are not supported");
expect("lookahead", gaveUp("(?=a)"), "Search not run: lookaround is not supported");
expect("lookbehind", gaveUp("(?<!a)b"), "Search not run: lookaround is not supported");
expect("huge repetition", gaveUp("(a{0,100}){0,300}"), "Search not run: the expression is too large");
expect("deep nesting", gaveUp("(?:".repeat(20000) + "a+" + ")".repeat(20000)), "Search not run: the expression is nested too deeply");

// The hostile link's expression: a backtracking engine would take for ever on any of these labels
// (about 2^n steps for n characters); the matcher finishes them well within the budget.
const hostile = Array.from({length: 50}, (_, i) => "x".repeat(30 + i));
const result = findMatches("(.+)+$X", hostile.length, (i) => hostile[i]);
expect("hostile expression gave up", result.gaveUp, null);
expect("hostile expression matches none", result.matches !== null && result.matches.indexOf(1) < 0, true);

// A search that outlasts the budget stops and says so.
SEARCH_BUDGET_MS = 20;
const slow = findMatches("(?:a{0,40}b?){0,40}c", 100000, () => "a".repeat(40));
expect("budget", slow.gaveUp, "Search stopped after 0.02 s");

failures.forEach((f) => console.log(f));
process.exit(failures.length === 0 ? 0 : 1);
