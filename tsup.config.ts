import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      testing: "src/testing/index.ts",
      onnx: "src/adapters/onnx/index.ts",
      s3: "src/adapters/s3/index.ts",
      redis: "src/adapters/redis/index.ts",
      bullmq: "src/adapters/bullmq/index.ts",
      postgres: "src/adapters/postgres/index.ts",
      duckdb: "src/adapters/duckdb/index.ts",
      http: "src/http/index.ts",
      // The `mlcycle` binary (package.json "bin"); its source starts with the #!/usr/bin/env node line.
      cli: "src/cli/main.ts",
      // The worker thread of large drift reports, started from the module that runs them (same folder).
      "drift-worker": "src/monitoring/drift/drift-worker.ts",
    },
    format: ["esm"],
    dts: true,
    sourcemap: true,
    // dist/ui is the browser build's (below): kept when this one cleans dist.
    clean: ["!ui/**"],
    target: "node20",
    external: ["vitest", "onnxruntime-node", "pg", "ioredis", "bullmq", "@aws-sdk/client-s3", "@duckdb/node-api"],
  },
  {
    // The dashboard's web UI (src/ui): one browser bundle, its styles beside it, no CDN. Served by
    // createDashboardHandler (mlcycle/http) from dist/ui.
    entry: { app: "src/ui/main.ts" },
    outDir: "dist/ui",
    format: ["esm"],
    platform: "browser",
    target: "es2020",
    minify: true,
    dts: false,
    sourcemap: false,
    clean: true,
    noExternal: [/.*/],
    tsconfig: "src/ui/tsconfig.json",
  },
]);
