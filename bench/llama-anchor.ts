/**
 * llama.cpp's own tools as the anchor of the benchmarks: built once from the llama.cpp source node-llama-cpp ships
 * (its git bundle, commit and patches) into $MODELMAP_CACHE_DIR/llama-ref, and run under /usr/bin/time.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  cpuVariantSetting,
  embeddingWidth,
  resolveVariant,
  shippedVariants,
} from "../src/backends/llama-cpp/cpu-variant.ts";
import { cacheBase } from "../src/backends/llama-cpp/native-build.ts";

const ROOT = resolve(import.meta.dirname, "..");

export function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; what: string }) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  if (r.error || r.status !== 0)
    throw new Error(
      `${opts.what}: ${cmd} ${args.join(" ")}: ${r.error?.message ?? `exit ${r.status}`}\n${(r.stderr ?? "").slice(-3000)}`,
    );
  return r;
}

export interface Timed {
  wall: number;
  cpu: number;
  rssMb: number;
  stdout: string;
  stderr: string;
}

/** Runs a command under /usr/bin/time: wall, user+sys CPU and peak RSS of the whole process tree's leader. */
export function timed(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; what: string },
): Timed {
  const r = sh("/usr/bin/time", ["-f", "\nTIMED %e %U %S %M", cmd, ...args], opts);
  const m = /TIMED ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`${opts.what}: no timing in ${r.stderr.slice(-500)}`);
  return {
    wall: Number(m[1]),
    cpu: Number(m[2]) + Number(m[3]),
    rssMb: Number(m[4]) / 1024,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
};

/** A llama.cpp tool (`llama-perplexity`, `llama-completion`) from node-llama-cpp's llama.cpp source, built once. */
export function buildLlamaTool(target: string): string {
  const nlc = join(ROOT, "node_modules", "node-llama-cpp");
  const bundle = join(nlc, "llama", "gitRelease.bundle");
  const heads = sh("git", ["bundle", "list-heads", bundle], { what: "reading the llama.cpp bundle" }).stdout;
  const commit = (/^([0-9a-f]{40})/m.exec(heads)?.[1] ?? "").slice(0, 7);
  const src = join(cacheBase(process.env), "llama-ref", commit);
  const bin = join(src, "build", "bin", target);
  if (existsSync(bin)) return bin;
  console.error(`building ${target} (llama.cpp ${commit}) in ${src}; about 10 minutes on 2 cores the first time`);
  if (!existsSync(join(src, "CMakeLists.txt"))) {
    mkdirSync(dirname(src), { recursive: true });
    sh("git", ["clone", "--quiet", bundle, src], { what: "cloning node-llama-cpp's llama.cpp bundle" });
    const patches = join(nlc, "llama", "patches");
    if (existsSync(patches))
      for (const p of readdirSync(patches).sort())
        sh("git", ["apply", join(patches, p)], { cwd: src, what: `applying ${p}` });
  }
  const nice = ["-n", "10"];
  sh("nice", [...nice, "cmake", "-B", "build", "-DGGML_NATIVE=OFF", "-DLLAMA_CURL=OFF", "-DCMAKE_BUILD_TYPE=Release"], {
    cwd: src,
    what: "cmake configure",
  });
  sh("nice", [...nice, "cmake", "--build", "build", "-j2", "--target", target], {
    cwd: src,
    what: "cmake build",
  });
  return bin;
}

/**
 * A folder whose libraries make a tool built here run on node-llama-cpp's engine binaries instead, and the working
 * folder ggml loads its CPU variant from: the engine's own folder (ggml picks the best variant, as node-llama-cpp
 * lets it), or, given a variant ("haswell", ...), a folder holding only that one.
 */
export function engineLibraries(variant?: string): { libDir: string; cwd: string } | undefined {
  const bins = join(ROOT, "node_modules", "@node-llama-cpp", `${process.platform}-${process.arch}`, "bins");
  // The real path: node_modules may be a worktree's link, gone when the worktree goes.
  const dir = existsSync(bins) ? realpathSync(join(bins, readdirSync(bins)[0] ?? "")) : "";
  if (!existsSync(join(dir, "libllama.v0.4.0.so"))) return undefined;
  const libDir = join(cacheBase(process.env), "llama-ref", "engine-libs");
  rmSync(libDir, { recursive: true, force: true });
  mkdirSync(libDir, { recursive: true });
  for (const [link, target] of [
    ["libllama.so.0", "libllama.v0.4.0.so"],
    ["libggml.so.0", "libggml.v0.4.0.so"],
    ["libggml-base.so.0", "libggml-base.so"],
    ["libggml.v0.4.0.so", "libggml.v0.4.0.so"],
    ["libggml-base.so", "libggml-base.so"],
  ] as const)
    symlinkSync(join(dir, target), join(libDir, link));
  if (variant === undefined || variant === "ggml") return { libDir, cwd: dir };
  const one = join(cacheBase(process.env), "llama-ref", `engine-cpu-${variant}`);
  rmSync(one, { recursive: true, force: true });
  mkdirSync(one, { recursive: true });
  symlinkSync(join(dir, `libggml-cpu-${variant}.so`), join(one, `libggml-cpu-${variant}.so`));
  return { libDir, cwd: one };
}

/**
 * The CPU variant modelmap's engine runs on when `model` is the first model a process opens (MODELMAP_LLAMA_CPU_VARIANT
 * or auto): llama.cpp's tools on the engine's libraries are run on the same one.
 */
export async function engineVariantFor(model: string): Promise<string> {
  return resolveVariant(cpuVariantSetting(undefined, process.env), await embeddingWidth(model), shippedVariants())
    .variant;
}
