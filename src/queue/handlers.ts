/**
 * What the jobs do, with the operator's install: the shipped tasks plus the task folders the operator names, the
 * operator's data folder and system-prompt presets. Python hooks are never enabled here: a queued job runs only
 * tasks with native hooks, whoever submitted it.
 */
import type { Backend } from "../backends/types.ts";
import { syncOwnEvidence } from "../capmap/sync.ts";
import { ModelmapError } from "../core/errors.ts";
import { generateAnswers } from "../judge/generate.ts";
import { judgeSet } from "../judge/judge.ts";
import { SILENT_PROGRESS } from "../runner/progress.ts";
import { evaluate, failureSummary, loadRegistry } from "../runner/service.ts";
import type { StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";
import { resolveSystemPrompt } from "../templates/system-prompt.ts";
import type { EvalJob, GenerateJob, JudgeJob } from "./jobs.ts";
import type { JobEnv } from "./worker.ts";

/** A stored prompt set's items: jobs name stored sets only, never a path on the worker's disk. */
async function setItems(store: Store, name: string): Promise<StoredPromptItem[]> {
  if (!(await store.judging.getPromptSet(name)))
    throw new ModelmapError("not_found", `no stored prompt set '${name}' (store it with 'modelmap prompts import')`);
  return store.judging.promptItems(name);
}

export interface InstallOptions {
  store: Store;
  dataDir: string;
  /** Operator task folders besides the shipped ones. */
  tasksDirs: string[];
  /** The operator's `system_prompts` presets. */
  presets?: Readonly<Record<string, string>> | undefined;
  /** Documents planned at once (default 1000). */
  window?: number;
  /** Queue a map rebuild after each finished evaluation. */
  onEvalDone?: () => Promise<void>;
}

export function installJobEnv(o: InstallOptions): JobEnv {
  return {
    store: o.store,
    async runEval(job: EvalJob, backend: Backend, signal: AbortSignal) {
      const sp = resolveSystemPrompt({ preset: job.systemPrompt }, { presets: o.presets });
      const outcome = await evaluate(o.store, backend, backend.identity.id, {
        tasks: job.tasks,
        tasksDirs: o.tasksDirs,
        dataDir: o.dataDir,
        prompt: {
          chatTemplate: job.chatTemplate,
          fewshotAsMultiturn: false,
          seed: job.seed,
          ...(sp.text !== undefined ? { systemPrompt: sp.text } : {}),
        },
        ...(job.limit !== undefined ? { limit: job.limit } : {}),
        ...(o.window !== undefined ? { window: o.window } : {}),
        progress: SILENT_PROGRESS,
        signal,
      });
      const failures = failureSummary(outcome.log);
      if (failures.allFailed.length > 0)
        throw new ModelmapError(
          "backend",
          `every request of ${failures.allFailed.join(", ")} failed (run ${outcome.runId}): ${failures.lines.join("; ")}`,
        );
      await o.onEvalDone?.();
      return {
        runId: outcome.runId,
        docs: outcome.stats.docs,
        requestsSent: outcome.stats.requestsSent,
        cachedRequests: outcome.stats.cachedRequests,
        errors: outcome.stats.errors,
      };
    },
    async runGenerate(job: GenerateJob, backend: Backend, signal: AbortSignal) {
      const items = await setItems(o.store, job.set);
      const s = await generateAnswers({
        store: o.store,
        setName: job.set,
        items: job.limit === undefined ? items : items.slice(0, job.limit),
        backends: new Map([[job.model, backend]]),
        seed: job.seed,
        maxTokens: job.maxTokens,
        signal,
      });
      if (s.failed > 0 && s.generated + s.resumed === 0)
        throw new ModelmapError("backend", `every answer failed: ${s.failures[0]?.error ?? "unknown"}`);
      return { total: s.total, generated: s.generated, resumed: s.resumed, failed: s.failed };
    },
    async runJudge(job: JudgeJob, judge: Backend, signal: AbortSignal) {
      const s = await judgeSet({
        store: o.store,
        judge,
        judgeId: job.judge,
        setName: job.set,
        items: await setItems(o.store, job.set),
        models: job.models,
        seed: job.seed,
        maxTokens: job.maxTokens,
        signal,
      });
      if (s.failed > 0 && s.pairwiseCalls + s.singleCalls + s.resumed === 0)
        throw new ModelmapError(
          "backend",
          `every judge call failed (${s.failed}): ${s.failures[0]?.message ?? "unknown"}`,
        );
      await o.onEvalDone?.();
      return {
        pairwiseCalls: s.pairwiseCalls,
        singleCalls: s.singleCalls,
        resumed: s.resumed,
        failed: s.failed,
        votesAdded: s.votesAdded,
      };
    },
    async rebuildMap() {
      const registry = loadRegistry(o.tasksDirs);
      const report = await syncOwnEvidence(o.store, {
        categoryOf: (task) => registry.tasks.get(task)?.categories,
        bootstrap: 200,
        seed: 1,
      });
      return { cells: report.cells, runs: report.runs.evidence };
    },
  };
}
