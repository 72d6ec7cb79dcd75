#!/usr/bin/env node
// The bin runs the TypeScript sources through tsx's loader, so there is no build step to forget.
import { register } from "tsx/esm/api";

register();
const { runMain } = await import("../src/cli/main.ts");
await runMain(process.argv.slice(2));
