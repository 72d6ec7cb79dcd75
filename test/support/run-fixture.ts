/**
 * Typed run records for tests that seed the store directly (pages, capability map), with the defaults a real run
 * would record, so each test states only what it is about.
 */
import type { EvalSample, RunLogV1, RunSpec, TaskResultV1 } from "../../src/store/run-log.ts";
import { RUN_LOG_VERSION } from "../../src/store/run-log.ts";

export function fixtureSpec(over: Partial<RunSpec> & { tasks: string[] }): RunSpec {
  return {
    model: "fixture",
    model_identity: { backend: "fixture", name: "fixture" },
    task_hashes: {},
    groups: [],
    limit: null,
    seed: 1234,
    num_fewshot: null,
    chat_template: false,
    system_prompt: null,
    system_prompt_sha256: null,
    fewshot_as_multiturn: false,
    model_prompting: null,
    results_version: 1,
    ...over,
  };
}

export function fixtureTaskResult(over: Partial<TaskResultV1> & Pick<TaskResultV1, "metrics" | "n">): TaskResultV1 {
  return {
    alias: "task",
    version: "Yaml",
    hash: null,
    nShot: 0,
    nSamples: { original: over.n + (over.nErrors ?? 0), effective: over.n + (over.nErrors ?? 0) },
    higherIsBetter: {},
    nErrors: 0,
    failures: [],
    randomBaseline: null,
    primary: null,
    normalizedScore: null,
    config: {},
    ...over,
  };
}

export function fixtureLog(spec: RunSpec, results: Record<string, TaskResultV1>): RunLogV1 {
  return { version: RUN_LOG_VERSION, spec, results, groups: {}, timing: null };
}

export function fixtureSample(over: Partial<EvalSample> & Pick<EvalSample, "task" | "docId" | "scores">): EvalSample {
  return {
    doc: {},
    target: "",
    arguments: [],
    resps: [],
    filteredResps: {},
    hashes: null,
    error: null,
    timings: { backendMs: 0, cached: false },
    ...over,
  };
}
