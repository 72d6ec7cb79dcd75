import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Path of a file in ../shared/data; fails loudly (never skips) when the shared data is missing. */
export function sharedData(rel: string): string {
  const p = resolve(import.meta.dirname, "../../../shared/data", rel);
  if (!existsSync(p)) {
    throw new Error(`shared test data missing: ${p} (tests read real data from ../shared/data; see its README)`);
  }
  return p;
}
