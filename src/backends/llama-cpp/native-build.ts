/**
 * Builds and loads the native scorer (native/scorer.cpp) on first use, once per machine, into the cache folder
 * ($MODELMAP_CACHE_DIR, else $XDG_CACHE_HOME/modelmap, else ~/.cache/modelmap): about two seconds of CPU with the
 * system C++ compiler. The llama.cpp headers come from the source node-llama-cpp ships (its git bundle), so they
 * match the library it loads. When anything is missing (no compiler, no git, not Linux) the backend falls back to
 * node-llama-cpp's own probabilities, which give the same numbers more slowly; `nativeScorerStatus()` says why.
 * MODELMAP_NATIVE_SCORER=0 turns the native scorer off.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The addon's functions (see native/scorer.cpp for the contract of each). */
export interface NativeScorerAddon {
  open(
    addonModel: unknown,
    o: {
      contextSize: number;
      batchSize: number;
      ubatchSize: number;
      sequences: number;
      threads: number;
      flashAttention: number;
      /** Cells of greedy generation's own context (0: none), made when its f16 K and V take at most the bytes. */
      generationCells: number;
      generationKvBytes: number;
    },
  ): NativeHandle;
  info(h: NativeHandle): {
    contextSize: number;
    batchSize: number;
    ubatchSize: number;
    sequences: number;
    vocabulary: number;
    generationContext: boolean;
  };
  decode(
    h: NativeHandle,
    tokens: Int32Array,
    pos: Int32Array,
    nSeq: Int32Array,
    seqIds: Int32Array,
    outputRows: Int32Array,
    entryRows: Int32Array,
    entryTargets: Int32Array,
    stats: boolean,
  ): Promise<Float64Array>;
  /** block 0: `tail` continues the scoring context's cache at pos0; block > 0: the whole prompt, on its own context. */
  generate(
    h: NativeHandle,
    tail: Int32Array,
    pos0: number,
    maxTokens: number,
    stops: string[],
    block: number,
  ): Promise<{ tokens: Int32Array; reason: "stop" | "length" | "abort"; evaluated: number }>;
  cancel(h: NativeHandle): void;
  seqRm(h: NativeHandle, seq: number, p0: number, p1: number): boolean;
  seqCp(h: NativeHandle, src: number, dst: number, p0: number, p1: number): void;
  clear(h: NativeHandle): void;
  /**
   * Copies sequence 0's cells out of the scoring cache if they take at most maxBytes and the model has no
   * sliding-window cache (false: nothing kept).
   */
  save(h: NativeHandle, maxBytes: number): boolean;
  /** Puts the copy back into sequence 0 when `keep` (false: it failed or there was none); frees it either way. */
  restore(h: NativeHandle, keep: boolean): boolean;
  close(h: NativeHandle): void;
}

export type NativeHandle = { readonly __nativeScorer: never };

export type NativeStatus = { ok: true; path: string; built: boolean } | { ok: false; reason: string };

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), "native", "scorer.cpp");
const require = createRequire(import.meta.url);

/** MODELMAP_NATIVE_SCORER=0: the user's choice, so the fallback goes without a notice. */
class TurnedOff extends Error {}

let loaded: Promise<{ addon: NativeScorerAddon | undefined; status: NativeStatus }> | undefined;

/** The environment variables the native scorer reads, handed in by the shell (the backend reads no globals). */
export type NativeEnv = Readonly<Record<string, string | undefined>>;

export function cacheBase(env: NativeEnv): string {
  return env.MODELMAP_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "modelmap");
}

/**
 * The native scorer, built if needed; undefined (with the reason in the status) when it cannot be had. Decided
 * once per process: the first call's environment (MODELMAP_NATIVE_SCORER, CXX, MODELMAP_CACHE_DIR,
 * XDG_CACHE_HOME) counts.
 */
export function loadNativeScorer(
  env: NativeEnv,
): Promise<{ addon: NativeScorerAddon | undefined; status: NativeStatus }> {
  loaded ??= Promise.resolve().then(() => {
    try {
      const r = buildNativeScorer(env);
      return { addon: require(r.path) as NativeScorerAddon, status: r };
    } catch (e) {
      const reason = (e as Error).message;
      // Turned off on purpose: no notice. Otherwise say once per process what is slower, why, and how to fix it.
      if (!(e instanceof TurnedOff)) process.stderr.write(fallbackNotice(reason));
      return { addon: undefined, status: { ok: false as const, reason } };
    }
  });
  return loaded;
}

/** The one-line notice printed when the native scorer cannot be had (the reason is cut to its last 1000 characters). */
export function fallbackNotice(reason: string): string {
  const why = reason.length > 1000 ? `...${reason.slice(-1000)}` : reason;
  return (
    `modelmap: notice: the native scorer is not available (${why.trim()}); log-likelihoods and greedy ` +
    "generation go through node-llama-cpp's probabilities instead: the same numbers, many times slower. " +
    "Install a C++ compiler (c++, or set CXX) and git to build it on next use; MODELMAP_NATIVE_SCORER=0 " +
    "turns it off without this notice.\n"
  );
}

export async function nativeScorerStatus(env: NativeEnv): Promise<NativeStatus> {
  return (await loadNativeScorer(env)).status;
}

/** A package's folder, from its entry point (node-llama-cpp's exports do not include package.json). */
export function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (
    !existsSync(join(dir, "package.json")) ||
    !readFileSync(join(dir, "package.json"), "utf8").includes(`"${name}"`)
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = up;
  }
  return dir;
}

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${what}: cannot run ${cmd} (${r.error.message})`);
  if (r.status !== 0) throw new Error(`${what}: ${cmd} exited ${r.status}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return r.stdout;
}

/** Writes to a private temporary path, then renames: concurrent processes never see half a file. */
function atomically(target: string, make: (tmp: string) => void): void {
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    make(tmp);
    try {
      renameSync(tmp, target);
    } catch (e) {
      if (!existsSync(target)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** llama.h and the ggml headers of the llama.cpp commit node-llama-cpp ships, extracted from its git bundle. */
function llamaHeaders(base: string, nlcDir: string): string {
  const bundle = join(nlcDir, "llama", "gitRelease.bundle");
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp's llama.cpp source is missing (${bundle})`);
  const heads = run("git", ["bundle", "list-heads", bundle], "reading node-llama-cpp's llama.cpp bundle");
  const commit = /^([0-9a-f]{40})/m.exec(heads)?.[1];
  if (!commit) throw new Error(`no commit in ${bundle}`);
  const dir = join(base, "llama-headers", commit);
  if (existsSync(join(dir, "include", "llama.h"))) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  atomically(dir, (tmp) => {
    mkdirSync(tmp, { recursive: true });
    const git = join(tmp, "src.git");
    run("git", ["clone", "--bare", "--quiet", bundle, git], "unpacking node-llama-cpp's llama.cpp bundle");
    const tar = join(tmp, "headers.tar");
    run(
      "git",
      ["--git-dir", git, "archive", "--format=tar", "-o", tar, commit, "include", "ggml/include"],
      "git archive",
    );
    run("tar", ["-xf", tar, "-C", tmp], "extracting the llama.cpp headers");
    rmSync(git, { recursive: true, force: true });
    rmSync(tar, { force: true });
  });
  return dir;
}

function cpuSignature(): string {
  let flags = "";
  try {
    flags = /^(flags|Features)\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[2] ?? "";
  } catch {
    // not Linux, or no /proc: the model name alone
  }
  return `${cpus()[0]?.model ?? ""}\0${flags.trim()}`;
}

function buildNativeScorer(env: NativeEnv): { ok: true; path: string; built: boolean } {
  if (env.MODELMAP_NATIVE_SCORER === "0") throw new TurnedOff("turned off by MODELMAP_NATIVE_SCORER=0");
  return buildAddon(env, SOURCE, "scorer.node", "the native scorer");
}

/**
 * Compiles one of native/*.cpp into `$MODELMAP_CACHE_DIR/native/<key>/<name>` (once per source, node-llama-cpp
 * version, compiler and CPU kind) against the llama.cpp headers of node-llama-cpp's bundle; throws the reason
 * when it cannot (not Linux, no compiler, no git).
 */
export function buildAddon(
  env: NativeEnv,
  sourcePath: string,
  name: string,
  what: string,
): { ok: true; path: string; built: boolean } {
  if (process.platform !== "linux") throw new Error(`${what} is built on Linux only (this is ${process.platform})`);
  const nlcDir = packageDir("node-llama-cpp");
  const nlcVersion = (JSON.parse(readFileSync(join(nlcDir, "package.json"), "utf8")) as { version: string }).version;
  const source = readFileSync(sourcePath);
  const cxx = env.CXX ?? "c++";
  // Built for this CPU (-march=native): the key carries the CPU's features, so a shared home folder on
  // machines of different kinds builds one copy per kind.
  const key = createHash("sha256")
    .update(source)
    .update(`\0${nlcVersion}\0${process.arch}\0${cxx}\0${cpuSignature()}`)
    .digest("hex")
    .slice(0, 16);
  const base = cacheBase(env);
  const out = join(base, "native", key, name);
  if (existsSync(out)) return { ok: true, path: out, built: false };
  const headers = llamaHeaders(base, nlcDir);
  mkdirSync(dirname(out), { recursive: true });
  atomically(out, (tmp) => {
    const args = (arch: string[]) => [
      "-std=c++17",
      "-O3",
      "-Wno-psabi",
      ...arch,
      "-fPIC",
      "-shared",
      "-fexceptions",
      // node-llama-cpp builds its addon with N-API 7; the same value gives its header the same layout.
      "-DNAPI_VERSION=7",
      `-I${join(headers, "include")}`,
      `-I${join(headers, "ggml", "include")}`,
      `-I${join(nlcDir, "llama", "addon")}`,
      `-I${packageDir("node-addon-api")}`,
      `-I${join(packageDir("node-api-headers"), "include")}`,
      sourcePath,
      "-o",
      tmp,
      "-ldl",
    ];
    try {
      run(cxx, args(["-march=native"]), `compiling ${what}`);
    } catch {
      run(cxx, args([]), `compiling ${what}`);
    }
  });
  return { ok: true, path: out, built: true };
}
