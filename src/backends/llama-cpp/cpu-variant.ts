/**
 * Which of the prebuilt engine's ggml CPU variants runs the model (docs/decisions/0012-cpu-variant.md).
 * node-llama-cpp 3.21.1 lets ggml load the highest-scoring variant for the CPU (zen4 / skylakex / icelake on an
 * AVX-512 machine), which on narrow models (embedding width under 128) was 2-5x slower than the AVX2 (haswell)
 * variant; on wider ones it was as fast or faster. `auto` (the default) therefore runs AVX2 below that width and
 * ggml's choice otherwise; `ggml` always takes ggml's choice; a variant's name forces that variant.
 *
 * The choice is made once per process, before node-llama-cpp starts the engine, by the small addon
 * native/cpu-variant.cpp; afterwards the engine's registry is read back to check it took.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ModelmapError } from "../../core/errors.ts";
import { buildAddon, type NativeEnv, packageDir } from "./native-build.ts";

/** Below this embedding width `auto` runs the AVX2 variant (measured: widths 8 and 96 2-5x faster; 128 even). */
export const AUTO_AVX2_BELOW_WIDTH = 128;
const AVX2_VARIANT = "haswell";

export interface CpuVariantStatus {
  /** What was asked: "auto", "ggml" or a variant's name. */
  setting: string;
  /** The variant registered ("haswell", ...), or "ggml" when ggml chose (then `libraries` says which it loaded). */
  chosen: string;
  /** Why this choice (the rule applied, or why no choice could be made). */
  reason: string;
  /** The ggml CPU libraries mapped in the process once the engine started (read back, not assumed). */
  libraries: string[];
}

interface VariantAddon {
  preload(libggml: string, variant: string): void;
  inspect(libggml: string): { backends: string[]; cpuDevices: number; cpuLibraries: string[] };
}

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), "native", "cpu-variant.cpp");

/** The folder of node-llama-cpp's prebuilt CPU engine for this platform, if it is installed. */
export function prebuiltBinsDir(): string | undefined {
  const plat = `${process.platform}-${process.arch}`;
  try {
    const req = createRequire(join(packageDir("node-llama-cpp"), "package.json"));
    const dir = join(dirname(dirname(req.resolve(`@node-llama-cpp/${plat}`))), "bins", plat);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The variants the prebuilt engine ships ("haswell", "zen4", ...). */
export function shippedVariants(dir = prebuiltBinsDir()): string[] {
  if (dir === undefined) return [];
  return readdirSync(dir)
    .map((f) => /^libggml-cpu-(.+)\.so$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
}

/**
 * The setting from the option (config `cpu_variant`) or else MODELMAP_LLAMA_CPU_VARIANT; a value that is not
 * auto, ggml or a shipped variant is the user's error (exit 2).
 */
export function cpuVariantSetting(option: string | undefined, env: NativeEnv, model?: string): string {
  const fromEnv = env.MODELMAP_LLAMA_CPU_VARIANT;
  const value = option ?? (fromEnv === "" ? undefined : fromEnv) ?? "auto";
  const field =
    option !== undefined ? `${model !== undefined ? `model ${model}: ` : ""}cpu_variant` : "MODELMAP_LLAMA_CPU_VARIANT";
  const allowed = ["auto", "ggml", ...shippedVariants()];
  if (!allowed.includes(value)) {
    throw new ModelmapError("config", `${field}: '${value}' is not a CPU variant of the llama.cpp engine`, {
      hint: `allowed: ${allowed.join(", ")}`,
    });
  }
  return value;
}

/**
 * The embedding width of a GGUF from its header, if it says. Read with node-llama-cpp's own GGUF reader (backends/
 * imports no other room; the models layer has already checked the file with modelmap's hardened reader), without
 * the vocabulary arrays or tensor list; anything it cannot read leaves `auto` to ggml's choice.
 */
export async function embeddingWidth(path: string | undefined): Promise<number | undefined> {
  if (path === undefined || !existsSync(path)) return undefined;
  try {
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(path, {
      readTensorInfo: false,
      sourceType: "filesystem",
      logWarnings: false,
      spliceSplitFiles: false,
      ignoreKeys: [
        "tokenizer.ggml.tokens",
        "tokenizer.ggml.scores",
        "tokenizer.ggml.token_type",
        "tokenizer.ggml.merges",
      ],
    });
    const w = (info.architectureMetadata as { embedding_length?: unknown }).embedding_length;
    return typeof w === "number" && Number.isSafeInteger(w) && w > 0 ? w : undefined;
  } catch {
    return undefined;
  }
}

function cpuHasAvx2(): boolean {
  try {
    return /^flags\s*:.*\bavx2\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

/** The variant a setting asks for on this model ("ggml": leave it to ggml), with the rule that decided. */
export function resolveVariant(
  setting: string,
  width: number | undefined,
  shipped: string[],
): { variant: string; reason: string } {
  if (setting !== "auto") return { variant: setting, reason: `set to ${setting}` };
  if (!shipped.includes(AVX2_VARIANT)) return { variant: "ggml", reason: "auto: no AVX2 variant shipped here" };
  if (width === undefined) return { variant: "ggml", reason: "auto: the model's embedding width is not known" };
  if (width >= AUTO_AVX2_BELOW_WIDTH)
    return { variant: "ggml", reason: `auto: embedding width ${width} >= ${AUTO_AVX2_BELOW_WIDTH}` };
  if (!cpuHasAvx2()) return { variant: "ggml", reason: "auto: this CPU has no AVX2" };
  return { variant: AVX2_VARIANT, reason: `auto: embedding width ${width} < ${AUTO_AVX2_BELOW_WIDTH}` };
}

let addonPromise: Promise<VariantAddon> | undefined;

function loadAddon(env: NativeEnv): Promise<VariantAddon> {
  addonPromise ??= Promise.resolve().then(() => {
    const built = buildAddon(env, SOURCE, "cpu-variant.node", "the CPU variant chooser");
    return createRequire(import.meta.url)(built.path) as VariantAddon;
  });
  return addonPromise;
}

/** Printed once per process when a chosen variant cannot be applied (the engine then runs ggml's choice). */
let noticed = false;
function notice(reason: string): void {
  if (noticed) return;
  noticed = true;
  process.stderr.write(
    `modelmap: notice: cannot choose the llama.cpp CPU variant (${reason.trim()}); the engine runs ggml's ` +
      "choice, which can be several times slower on small models. Install a C++ compiler (c++, or set CXX) and " +
      "git; MODELMAP_LLAMA_CPU_VARIANT=ggml leaves the choice to ggml without this notice.\n",
  );
}

/**
 * Before the engine starts: registers the variant the setting asks for (nothing for "ggml"). Returns the status
 * to complete with `checkCpuVariant` once node-llama-cpp has started.
 */
export async function chooseCpuVariant(setting: string, modelPath: string | undefined, env: NativeEnv) {
  const dir = prebuiltBinsDir();
  const shipped = shippedVariants(dir);
  const { variant, reason } = resolveVariant(setting, await embeddingWidth(modelPath), shipped);
  const status: CpuVariantStatus = { setting, chosen: variant, reason, libraries: [] };
  if (variant === "ggml" || dir === undefined) return { status: { ...status, chosen: "ggml" }, dir };
  try {
    const addon = await loadAddon(env);
    addon.preload(join(dir, "libggml.v0.4.0.so"), join(dir, `libggml-cpu-${variant}.so`));
  } catch (e) {
    const why = (e as Error).message;
    if (setting !== "auto") {
      throw new ModelmapError("config", `cannot run the llama.cpp engine on CPU variant ${variant}: ${why}`, {
        cause: e,
        hint: "use auto or ggml, or a variant this CPU supports",
      });
    }
    notice(why);
    return { status: { ...status, chosen: "ggml", reason: `${reason}, not applied: ${why}` }, dir };
  }
  return { status, dir };
}

/** After the engine started: the CPU libraries it runs on, and a check that the chosen variant is the only one. */
export async function checkCpuVariant(status: CpuVariantStatus, dir: string | undefined, env: NativeEnv) {
  if (dir === undefined) return status;
  let got: ReturnType<VariantAddon["inspect"]>;
  try {
    got = (await loadAddon(env)).inspect(join(dir, "libggml.v0.4.0.so"));
  } catch (e) {
    // No compiler: nothing was chosen, and nothing can be read back.
    return status.chosen === "ggml" ? status : { ...status, reason: `${status.reason} (${(e as Error).message})` };
  }
  const libraries = got.cpuLibraries;
  if (status.chosen !== "ggml") {
    const ok = got.cpuDevices === 1 && libraries.length === 1 && libraries[0]?.endsWith(`-${status.chosen}.so`);
    if (!ok) {
      throw new ModelmapError(
        "backend",
        `the llama.cpp engine did not take CPU variant ${status.chosen} (CPU devices: ${got.cpuDevices}, libraries: ${libraries.join(", ")})`,
      );
    }
  }
  return { ...status, libraries };
}
