#!/usr/bin/env node
// Runs the JavaScript compiled into dist/ at `npm install` when it matches the sources, else the TypeScript
// sources through tsx (slower to start, never stale): a checkout whose sources were edited since the last build
// says so once on stderr and still runs what is in src/. `npm run build` brings the fast start back.
import { fileURLToPath } from "node:url";
import { distState } from "../tools/build-stamp.mjs";

const argv = process.argv.slice(2);
const state = distState(fileURLToPath(new URL("..", import.meta.url)));
if (state === "fresh" || state === "no-sources") {
  if (process.env.MODELMAP_DEBUG) process.setSourceMapsEnabled(true);
  const { runMain } = await import("../dist/cli/main.js");
  await runMain(argv);
} else {
  if (state === "stale")
    process.stderr.write(
      "modelmap: dist/ is older than src/ (sources changed since the last build); running src/ through tsx, which starts slower; 'npm run build' compiles it again\n",
    );
  const { register } = await import("tsx/esm/api");
  register();
  const { runMain } = await import("../src/cli/main.ts");
  await runMain(argv);
}
