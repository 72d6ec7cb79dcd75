/**
 * Every native hook module modelmap ships, and the one lookup the task loader uses. A module is added here
 * (one import and one entry in `HOOK_MODULES`) when it is written; the loader never names a module itself.
 */
import { createHash } from "node:crypto";
import { bbh } from "./modules/bbh.ts";
import { gpqaGenerative, gpqaLeaderboard, gpqaZeroshot } from "./modules/gpqa.ts";
import { hellaswag } from "./modules/hellaswag.ts";
import { leaderboardIfeval } from "./modules/leaderboard-ifeval.ts";
import { leaderboardMath } from "./modules/leaderboard-math.ts";
import { mmluFlan } from "./modules/mmlu.ts";
import { mmluProLeaderboard } from "./modules/mmlu-pro.ts";
import { musr } from "./modules/musr.ts";
import { truthfulqa } from "./modules/truthfulqa.ts";
import { winogrande } from "./modules/winogrande.ts";
import type { HookFunction, HookModule } from "./types.ts";

export const HOOK_MODULES: readonly HookModule[] = [
  hellaswag,
  winogrande,
  truthfulqa,
  mmluFlan,
  bbh,
  musr,
  gpqaLeaderboard,
  gpqaZeroshot,
  gpqaGenerative,
  mmluProLeaderboard,
  leaderboardIfeval,
  leaderboardMath,
];

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The registered module whose file hash is `sha256`, if any. */
export function moduleByHash(sha256: string, modules: readonly HookModule[] = HOOK_MODULES): HookModule | undefined {
  return modules.find((m) => m.sha256.includes(sha256));
}

export type HookLookup =
  | { ok: true; module: HookModule; fn: HookFunction }
  | { ok: false; reason: "unknown-module" | "unknown-function"; known?: string[] };

/**
 * Finds the native stand-in for `!function MODULE.NAME` whose `MODULE.py` has the bytes `source`.
 * `unknown-module`: no registered module has this file's hash (an edited or unsupported `utils.py`);
 * `unknown-function`: the module is known but has no native `NAME`.
 */
export function lookupHook(
  source: Uint8Array | string,
  name: string,
  modules: readonly HookModule[] = HOOK_MODULES,
): HookLookup {
  const module = moduleByHash(sha256Hex(source), modules);
  if (!module) return { ok: false, reason: "unknown-module" };
  const fn = module.functions[name];
  if (!fn) return { ok: false, reason: "unknown-function", known: Object.keys(module.functions).sort() };
  return { ok: true, module, fn };
}
