/**
 * The layers of mlcycle as rules that fail lint (`npm run lint` runs `depcruise`). See
 * docs/architecture.md: imports only go down —
 *   core ← stores (ports, memory/, sql/, local/) ← domain modules ← workspace ← index
 * adapters import core, stores and their own driver; testing imports core and stores; type-only
 * imports count (a type-level cycle is a cycle).
 */

/** Domain modules, lowest first: each may import the ones before it, never the ones after. */
const DOMAIN_ORDER = [
  "lineage",
  "tracking",
  "evaluation",
  "registry",
  "features",
  "serving",
  "experimentation",
  "monitoring",
  "pipeline",
];
const DOMAIN = `^src/(${DOMAIN_ORDER.join("|")})/`;
const ROOT = "^src/(workspace|workspace-context|workspace-events|index)[.]ts$";
/** Drivers only an adapter may load (better-sqlite3 included: it is the SQLite adapter's driver). */
const DRIVERS =
  "(^|/)node_modules/(better-sqlite3|@types/better-sqlite3|pg|@types/pg|ioredis|bullmq|@aws-sdk/[^/]+|onnxruntime-node|@duckdb/[^/]+)/";

const domainOrderRules = DOMAIN_ORDER.flatMap((name, i) => {
  const above = DOMAIN_ORDER.slice(i + 1);
  if (above.length === 0) return [];
  return [
    {
      name: `domain-order-${name}`,
      comment: `${name} sits below ${above.join(", ")} (DOMAIN_ORDER in .dependency-cruiser.cjs) and must not import them`,
      severity: "error",
      from: { path: `^src/${name}/` },
      to: { path: `^src/(${above.join("|")})/` },
    },
  ];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "a cycle made of runtime imports ties modules that should stand alone",
      severity: "error",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "no-circular-across-folders",
      comment:
        "a cycle, type-only imports included, that leaves its folder ties two layers or modules together " +
        "(a recursive type inside one module — a step's context can run pipelines of steps — is allowed)",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: { circular: true, via: { pathNot: "^src/$1/" } },
    },
    {
      name: "core-imports-nothing-of-ours",
      comment: "core/ is the bottom layer: errors, ids, events, hashing, clock",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    {
      name: "stores-import-only-core",
      comment: "ports and their implementations import core/ and other stores only",
      severity: "error",
      from: { path: "^src/stores/" },
      to: { path: "^src/", pathNot: "^src/(core|stores)/" },
    },
    {
      name: "ports-import-no-implementation",
      comment: "a port (src/stores/*.ts) never imports an implementation (memory/, sql/, local/)",
      severity: "error",
      from: { path: "^src/stores/[^/]+[.]ts$" },
      to: { path: "^src/stores/(memory|sql|local)/" },
    },
    {
      name: "drivers-only-in-adapters",
      comment: "only src/adapters/<name>/ may import an optional driver or better-sqlite3",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/adapters/" },
      to: { path: DRIVERS },
    },
    {
      name: "domain-not-upward",
      comment: "domain modules are built with what they use; they never reach the workspace, adapters, http or cli",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: [ROOT, "^src/(adapters|http|cli|testing)/"] },
    },
    ...domainOrderRules,
    {
      name: "adapters-not-domain",
      comment: "an adapter implements ports: it imports core, stores and its driver, never a domain module",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: [DOMAIN, ROOT, "^src/(http|cli|testing)/"] },
    },
    {
      name: "adapters-not-each-other",
      comment: "each adapter stands alone (its own subpath)",
      severity: "error",
      from: { path: "^src/adapters/([^/]+)/" },
      to: { path: "^src/adapters/", pathNot: "^src/adapters/$1/" },
    },
    {
      name: "testing-only-ports",
      comment: "the published conformance suites test ports: they import core and stores only",
      severity: "error",
      from: { path: "^src/testing/" },
      to: { path: "^src/", pathNot: "^src/(core|stores|testing)/" },
    },
    {
      name: "surface-uses-public-modules",
      comment:
        "http and cli use the public surface — src/index.ts and the subpath entries (an adapter's or testing's " +
        "index.ts, http/) — never a port, a store, core or a domain module directly",
      severity: "error",
      from: { path: "^src/(http|cli)/" },
      to: {
        path: "^src/",
        pathNot: "^src/(index[.]ts$|http/|cli/|testing/index[.]ts$|adapters/[^/]+/index[.]ts$)",
      },
    },
    {
      name: "ui-is-browser-code",
      comment:
        "src/ui is the dashboard's browser bundle: it reads the workspace through the JSON API only, never " +
        "by importing the SDK (which holds Node code); http serves the bundle as files, never imports it",
      severity: "error",
      from: { path: "^src/ui/" },
      to: { path: "^src/", pathNot: "^src/ui/" },
    },
    {
      name: "nothing-imports-the-ui",
      comment: "the browser bundle is built apart (tsup's second entry) and served as files",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/ui/" },
      to: { path: "^src/ui/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
