/**
 * modelmap as a library (`import { ... } from "modelmap"`): the service functions the CLI and the web server
 * call, no more. Documented in docs/api.md ("Library"); the CLI's own modules stay internal. Importing this
 * loads the SQLite driver but not the llama.cpp engine, which loads when a GGUF model is first used.
 */

// Ranking pairwise votes: Bradley-Terry with bootstrap intervals, ranks and tiers.
export { aggregateVotes, applyFilters, mergeCounts } from "./arena/aggregate.ts";
export {
  type RankedModel,
  type RankMethod,
  type RankOptions,
  type RankReport,
  rankCounts,
} from "./arena/rank.ts";
export { parseVoteText, readVoteFile, type VoteFile, type VoteFormat } from "./arena/read-votes.ts";
// Opening models: a modelmap.yaml entry, a GGUF file or an OpenAI-compatible endpoint becomes a Backend.
export type {
  Backend,
  BackendCapabilities,
  CallOptions,
  ChatMessage,
  GenerateResult,
  GenerationParams,
  LoglikelihoodRequest,
  LoglikelihoodResult,
  ModelIdentity,
  RollingResult,
} from "./backends/types.ts";
// The capability map: public results and modelmap's own evidence per model and category, with intervals.
export { rebuildMap } from "./capmap/build.ts";
export { modelCard } from "./capmap/card.ts";
export { compareModels, type ModelComparison } from "./capmap/compare.ts";
export { type ModelProfile, modelProfile } from "./capmap/profile.ts";
export {
  IMPORT_KINDS,
  type ImportKind,
  type ImportSummary,
  importFile,
  mapCategories,
  type SearchFilters,
  type SearchResult,
  search,
} from "./capmap/service.ts";
export { type SyncOptions, type SyncReport, syncOwnEvidence } from "./capmap/sync.ts";
export { type LoadedConfig, loadConfig, parseConfig } from "./config/load.ts";
export { type ErrorCode, isUserError, ModelmapError } from "./core/errors.ts";
export type { PairCounts, Vote, Winner } from "./core/votes.ts";
export { resolveModel } from "./models/resolve.ts";
export {
  type ConfigModelSpec,
  type EndpointModelSpec,
  type GgufModelSpec,
  type ModelContext,
  type ModelSpec,
  parseModelRef,
} from "./models/spec.ts";
export type { ResultJson } from "./runner/lmeval-format.ts";
export type { EvalOutcome } from "./runner/run-eval.ts";
export {
  BUILTIN_TASKS_DIR,
  compareRuns,
  type EvalRequest,
  evaluate,
  loadRegistry,
  resolveDataDir,
  type TaskComparison,
} from "./runner/service.ts";
// The store: one SQLite file holds runs, caches, votes, judgments and the map.
export type { GroupResultV1, MetricValue, RunLogV1, TaskResultV1 } from "./store/run-log.ts";
export { openStore, type SqliteStore } from "./store/sqlite/index.ts";
export type { Store } from "./store/store.ts";
// Running an evaluation: lm-evaluation-harness-style tasks, cached and resumable in the store.
export type { PromptOptions } from "./tasks/instance.ts";
