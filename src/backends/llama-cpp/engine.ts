/**
 * Lazy access to node-llama-cpp. It is imported only when a llama-cpp model is actually opened, so that the
 * CLI, the server and every other backend start without loading the native engine. One `Llama` instance per
 * process and GPU choice, because each instance loads the native binding and its backend threads.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Llama } from "node-llama-cpp";
import { ModelmapError } from "../../core/errors.ts";
import { type CpuVariantStatus, checkCpuVariant, chooseCpuVariant } from "./cpu-variant.ts";
import type { NativeEnv } from "./native-build.ts";

export type NodeLlamaCpp = typeof import("node-llama-cpp");

let modulePromise: Promise<NodeLlamaCpp> | undefined;
const llamas = new Map<string, Promise<Llama>>();

export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  modulePromise ??= import("node-llama-cpp").catch((e: unknown) => {
    modulePromise = undefined;
    throw new ModelmapError("backend", "cannot load node-llama-cpp (the in-process GGUF engine)", {
      cause: e,
      hint: "run `npm install`; node-llama-cpp 3.21.1 ships prebuilt CPU binaries for linux-x64/arm64, macOS and Windows",
    });
  });
  return modulePromise;
}

/**
 * The engine's recent error messages. llama.cpp says why it cannot load a model only in its log
 * ("error loading model: missing tensor 'output_norm.weight'") while node-llama-cpp throws "Failed to load
 * model", so the log is kept here for the load error to quote. Messages about loading are not printed (the error
 * carries them); other errors are printed as before.
 */
const recentErrors: string[] = [];
let errorCount = 0;

function onEngineLog(level: string, message: string): void {
  if (level !== "error" && level !== "fatal") return;
  recentErrors.push(message.trim());
  errorCount++;
  if (recentErrors.length > 50) recentErrors.shift();
  if (!/llama_model_load|failed to load model|gguf_init/i.test(message)) process.stderr.write(`${message.trimEnd()}\n`);
}

/** A mark to pass to engineErrorsSince. */
export function engineErrorMark(): number {
  return errorCount;
}

/** The engine's error messages logged after a mark (at most the last 50). */
export function engineErrorsSince(mark: number): string[] {
  return recentErrors.slice(Math.max(0, recentErrors.length - (errorCount - mark)));
}

/**
 * The errors logged after a mark, once one matching `until` arrived and the log then stayed quiet for `quietMs`,
 * or `ms` passed: node-llama-cpp delivers the log asynchronously, so the reason for a failed load can come after
 * the failure itself, and a load's later lines must be taken here rather than show up after the next load's mark
 * (one load's "failed to load model" line arriving late made the next load quote the wrong reason).
 */
export async function engineErrorsAfter(mark: number, until: RegExp, ms = 500, quietMs = 150): Promise<string[]> {
  const end = Date.now() + ms;
  let seen = errorCount;
  let quietSince = Date.now();
  for (;;) {
    if (errorCount !== seen) {
      seen = errorCount;
      quietSince = Date.now();
    }
    const got = engineErrorsSince(mark);
    const matched = got.some((l) => until.test(l));
    if ((matched && Date.now() - quietSince >= quietMs) || Date.now() >= end + (matched ? quietMs : 0)) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How the CPU engine picks its ggml CPU variant: the setting and the model that decides `auto`. */
export interface CpuVariantRequest {
  setting: string;
  modelPath?: string;
  env: NativeEnv;
}

let cpuVariant: Promise<CpuVariantStatus> | undefined;

/**
 * The CPU variant the engine runs on (see cpu-variant.ts), once the CPU engine has started; undefined before.
 * One per process: the first start decides.
 */
export function engineCpuVariant(): Promise<CpuVariantStatus> | undefined {
  return cpuVariant;
}

/**
 * `gpu: false` (the default) runs on the CPU; "auto" lets node-llama-cpp pick CUDA/Metal/Vulkan if present. On the
 * CPU the first call chooses the ggml CPU variant (`variant`, default auto with no model known: ggml's choice).
 */
export async function getSharedLlama(gpu: false | "auto", variant?: CpuVariantRequest): Promise<Llama> {
  const key = String(gpu);
  let p = llamas.get(key);
  if (!p) {
    const start = async (): Promise<Llama> => {
      const m = await loadNodeLlamaCpp();
      const open = () =>
        m.getLlama({ gpu, build: "never", logLevel: m.LlamaLogLevel.error, logger: onEngineLog, progressLogs: false });
      if (gpu !== false) return open();
      const env = variant?.env ?? {};
      const chosen = await chooseCpuVariant(variant?.setting ?? "auto", variant?.modelPath, env);
      const llama = await open();
      cpuVariant = checkCpuVariant(chosen.status, chosen.dir, env);
      await cpuVariant;
      return llama;
    };
    p = start();
    p.catch(() => {
      llamas.delete(key);
      cpuVariant = undefined;
    });
    llamas.set(key, p);
  }
  try {
    const llama = await p;
    if (gpu === false && variant !== undefined && variant.setting !== "auto") {
      const now = await cpuVariant;
      // One variant per process: a later explicit setting must agree with the one running.
      if (now !== undefined && now.chosen !== variant.setting)
        throw new ModelmapError(
          "config",
          `the llama.cpp engine already runs on CPU variant ${now.chosen} (${now.reason}); '${variant.setting}' cannot apply in the same process`,
          { hint: "one CPU variant per process: open models that need another in a process of their own" },
        );
    }
    return llama;
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw new ModelmapError("backend", `cannot start the llama.cpp engine (gpu: ${key})`, {
      cause: e,
      hint: gpu === false ? "the prebuilt CPU binary may be missing for this platform" : "try gpu: false",
    });
  }
}

const shaCache = new Map<string, string>();

/** sha256 of a (possibly multi-gigabyte) file, streamed; cached per path, size and mtime. */
export async function fileSha256(path: string): Promise<string> {
  const s = await stat(path);
  const key = `${path}\0${s.size}\0${s.mtimeMs}`;
  const hit = shaCache.get(key);
  if (hit) return hit;
  const { createHash } = await import("node:crypto");
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  const hex = h.digest("hex");
  shaCache.set(key, hex);
  return hex;
}
