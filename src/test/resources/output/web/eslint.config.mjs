// ESLint for the flame graphs' scripts (WebAssetsTest runs it with the web resources as the working directory).
const browser = {
  window: "readonly", document: "readonly", history: "readonly", performance: "readonly", URLSearchParams: "readonly",
  alert: "readonly", prompt: "readonly", setTimeout: "readonly", clearTimeout: "readonly",
  requestAnimationFrame: "readonly",
};
// What flamegraph-common.js gives the page scripts that follow it.
const common = {
  HIGHLIGHT: "readonly", WIDTH_SAMPLE: "readonly", fitText: "readonly", urlParams: "readonly", urlZoom: "readonly",
  saveUrlParams: "readonly", findMatches: "readonly",
};
const rules = {
  "no-undef": "error",
  "no-unused-vars": ["error", {vars: "local", args: "none", caughtErrors: "none"}],
  "no-redeclare": "error",
  "no-shadow-restricted-names": "error",
  "no-dupe-keys": "error",
  "no-unreachable": "error",
  "no-cond-assign": "error",
  "no-empty": "error",
  "no-fallthrough": "error",
  "no-self-assign": "error",
  "no-unsafe-finally": "error",
  "no-useless-escape": "error",
  "no-implied-eval": "error",
  "no-eval": "error",
  "eqeqeq": "error",
  "use-isnan": "error",
  "valid-typeof": "error",
};
export default [
  {
    files: ["flamegraph-common.js"],
    languageOptions: {ecmaVersion: 2017, sourceType: "script", globals: browser},
    rules,
  },
  {
    files: ["flamegraph-svg.js", "flamegraph-html.js"],
    languageOptions: {ecmaVersion: 2017, sourceType: "script", globals: {...browser, ...common}},
    rules,
  },
];
