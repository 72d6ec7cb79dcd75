/**
 * Whether dist/ was compiled from the sources as they are now. The build records every input's size,
 * modification time and SHA-256 in dist/build-stamp.json; a check stats the inputs (a few milliseconds) and
 * hashes only a file whose size matches but whose time does not (a checkout, a copy, an unpacked tarball), so an
 * edited, added or removed source is always seen and an untouched tree costs no reading.
 *
 * Plain JavaScript: the bin runs it before it knows whether TypeScript can be loaded.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export const STAMP_FILE = "dist/build-stamp.json";
const STAMP_VERSION = 1;

/** The files a build reads, relative to the root with "/": every file under src/ but tests, and the tsconfigs. */
export function buildInputs(root) {
  const files = [];
  const walk = (dir) => {
    for (const d of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${d.name}`;
      if (d.isDirectory()) walk(rel);
      else if (!d.name.endsWith(".test.ts")) files.push(rel);
    }
  };
  walk("src");
  files.push("tsconfig.json", "tsconfig.build.json");
  return files.sort();
}

export function sha256File(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** What the stamp records of each input. */
export function fingerprints(root) {
  const files = {};
  for (const rel of buildInputs(root)) {
    const path = join(root, rel);
    const st = statSync(path);
    files[rel] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha256File(path) };
  }
  return { version: STAMP_VERSION, files };
}

/**
 * "fresh": dist/ matches the sources; "stale": a source changed since the build (or the last build did not
 * finish); "missing": never built; "no-sources": an installed package that ships dist/ without src/.
 */
export function distState(root) {
  if (!existsSync(join(root, "src"))) return existsSync(join(root, "dist")) ? "no-sources" : "missing";
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP_FILE), "utf8"));
  } catch {
    return existsSync(join(root, "dist")) ? "stale" : "missing";
  }
  if (stamp?.version !== STAMP_VERSION || typeof stamp.files !== "object") return "stale";
  const inputs = buildInputs(root);
  if (inputs.length !== Object.keys(stamp.files).length) return "stale";
  for (const rel of inputs) {
    const recorded = stamp.files[rel];
    if (!recorded) return "stale";
    const path = join(root, rel);
    const st = statSync(path);
    if (st.size !== recorded.size) return "stale";
    if (st.mtimeMs !== recorded.mtimeMs && sha256File(path) !== recorded.sha256) return "stale";
  }
  return "fresh";
}
