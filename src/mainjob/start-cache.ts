/**
 * What `modelmap start` keeps between runs in the cache folder (`<cache>/start/`, one small JSON file per entry):
 * the parsed task registry's answer for the zoo's benchmarks, and which finished runs and contamination reports in
 * the store a warm start may read instead of recomputing. Every entry is stored under a key made of its inputs and
 * of the build of modelmap that wrote it (see codeIdentity); a missing, unreadable, corrupt or differently keyed
 * file is a miss, never an answer, and the next write replaces it. Writes go through a private temporary file and a
 * rename, so two starts at once never see half a file. MODELMAP_NO_START_CACHE=1 turns the folder off (everything
 * is then recomputed from the store's request cache, as before the cache existed).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { fileStamps, writeFileAtomic } from "../core/files.ts";
import { hashOf, sha256 } from "../core/hash.ts";
import { modelmapCacheDir } from "../hub/settings.ts";

/** Bumped when an entry's meaning changes; older files are then misses. */
export const START_CACHE_VERSION = 1;

const EntrySchema = z.object({ version: z.literal(START_CACHE_VERSION), key: z.string(), value: z.unknown() });

function walkStamps(root: string, skip: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (skip(d.name)) continue;
      const p = join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out.push(`${relative(root, p)}\u0000${st.size}\u0000${st.mtimeMs}`);
      }
    }
  };
  walk(root);
  return out.sort();
}

let identity: string | undefined;

/**
 * Which build of modelmap is running: compiled code is named by dist/build-stamp.json (the SHA-256 of every source
 * it was built from), sources run through tsx by the size and time of every file under src/; with the Node version
 * and the dependency lock beside them. A cache entry written by another build is a miss.
 */
export function codeIdentity(): string {
  if (identity !== undefined) return identity;
  const tree = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const root = dirname(tree);
  let code: string;
  try {
    if (basename(tree) !== "dist") throw new Error("sources");
    code = `stamp:${sha256(readFileSync(join(tree, "build-stamp.json")))}`;
  } catch {
    code = `files:${hashOf(walkStamps(tree, (n) => n === "node_modules" || n.endsWith(".test.ts")))}`;
  }
  let pkg = "";
  try {
    pkg = readFileSync(join(root, "package.json"), "utf8");
  } catch {}
  identity = hashOf({
    code,
    node: process.versions.node,
    pkg: sha256(pkg),
    lock: fileStamps([join(root, "package-lock.json")]),
  });
  return identity;
}

export class StartCache {
  constructor(readonly dir: string) {}

  /** The cache folder of `modelmap start` for this environment, or undefined when MODELMAP_NO_START_CACHE is set. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>): StartCache | undefined {
    const off = env.MODELMAP_NO_START_CACHE;
    if (off !== undefined && off !== "" && off !== "0") return undefined;
    return new StartCache(join(modelmapCacheDir(env), "start"));
  }

  private file(name: string): string {
    return join(this.dir, `${name.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
  }

  private keyOf(key: unknown): string {
    return hashOf({ code: codeIdentity(), key });
  }

  /** The value stored under `name` for exactly this key by this build, valid under `schema`; else undefined. */
  get<T>(name: string, key: unknown, schema: z.ZodType<T>): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.file(name), "utf8");
    } catch {
      return undefined;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return undefined;
    }
    const entry = EntrySchema.safeParse(raw);
    if (!entry.success || entry.data.key !== this.keyOf(key)) return undefined;
    const value = schema.safeParse(entry.data.value);
    return value.success ? value.data : undefined;
  }

  /** Stores a value; a folder that cannot be written only costs the next start its speed, so errors are dropped. */
  put(name: string, key: unknown, value: unknown): void {
    try {
      writeFileAtomic(this.file(name), JSON.stringify({ version: START_CACHE_VERSION, key: this.keyOf(key), value }));
    } catch {}
  }
}
