import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Path of a file in the shared public data (../shared/data from the repository root). Tests and benches call
 * this and fail loudly, never skip, when the data is missing.
 */
export function sharedData(...parts: string[]): string {
  const p = join(resolve(import.meta.dirname, "../../../shared/data"), ...parts);
  if (!existsSync(p)) {
    throw new Error(
      `missing shared data file ${p}: tests and benchmarks read public data from ../shared/data relative to the repository root (see its README.md)`,
    );
  }
  return p;
}

export const OPEN_LLM_V1 = ["open_llm_leaderboard_final", "open_llm_leaderboard_v1_final_2024-07-13.csv"];
export const OPEN_LLM_V2 = ["open_llm_leaderboard_final", "open_llm_leaderboard_v2_final_2025-03-21.csv"];
export const ARENA_MERGED = ["open_llm_leaderboard_final", "merged_arena_x_openllm_v2_2025-06-06.csv"];
export const OBS_BASE = ["obs_scaling_open_llm_scores", "base_llm_benchmark_eval.csv"];
export const OBS_INSTRUCT = ["obs_scaling_open_llm_scores", "instruct_llm_benchmark_eval.csv"];
export const OBS_V2 = ["obs_scaling_open_llm_scores", "base_llm_leaderboard_v2_eval.csv"];
