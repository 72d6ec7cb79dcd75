/**
 * What a queued job says. Job data crosses a process and a database, so it is parsed with zod when a worker takes
 * it. A job names only things the operator's install ships (task and suite names, a system-prompt preset): no code,
 * no hook, no file path from the submitter ever reaches a worker.
 */
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";

/** pg-boss queue names: one per served model for model jobs (a worker takes only what its endpoints serve). */
export const MAP_QUEUE = "mm-map";
const EVAL_PREFIX = "mm-eval-";

/** A model name as a queue name: pg-boss allows letters, digits, `_` and `-`; anything else becomes `_`+hex. */
export function evalQueue(model: string): string {
  return EVAL_PREFIX + model.replace(/[^A-Za-z0-9-]/g, (ch) => `_${ch.codePointAt(0)?.toString(16) ?? ""}_`);
}

/**
 * Evaluations of GGUF weights pinned on the Hugging Face hub: no endpoint serves them yet, so they wait here for a
 * worker that downloads and runs them itself (`worker --hub-gguf N`). `_hub_` cannot come out of evalQueue (a raw
 * `_` there is always followed by hex digits), and the `mm-eval-` prefix keeps these jobs in the submission checks.
 */
export const HUB_QUEUE = `${EVAL_PREFIX}_hub_`;

export function isModelmapQueue(name: string): boolean {
  return name === MAP_QUEUE || name.startsWith(EVAL_PREFIX);
}

const name = z.string().min(1).max(200);

/** Where a worker gets the weights: a GGUF file of a hub repository at a commit, checked against the listing. */
export const hubSourceSchema = z.strictObject({
  kind: z.literal("hub"),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  file: z.string().min(1).max(500),
  size: z.number().int().nonnegative(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type HubSource = z.infer<typeof hubSourceSchema>;

export const evalJobSchema = z.strictObject({
  kind: z.literal("eval"),
  /** The name the endpoints serve (GET /v1/models). */
  model: name,
  /** Pinned revision: the weights' sha256 (GGUF catalogue) or the hub commit the submitted revision resolved to. */
  revision: name,
  precision: name,
  chatTemplate: z.boolean(),
  /** A system-prompt preset name (none, default, or one of the operator's `system_prompts`). */
  systemPrompt: name,
  /** The suite as submitted, and the shipped task/group/tag names it stands for. */
  suite: name,
  tasks: z.array(name).min(1),
  limit: z.number().int().min(1).optional(),
  seed: z.number().int(),
  submitter: name.optional(),
  /** Weights the worker downloads itself (hub GGUF); absent: an endpoint serves `model`. */
  source: hubSourceSchema.optional(),
  /** Same model, revision, precision, template flag, preset, suite and limit: the same evaluation. */
  key: z.string().length(64),
});
export type EvalJob = z.infer<typeof evalJobSchema>;

export const mapJobSchema = z.strictObject({ kind: z.literal("map") });
export type MapJob = z.infer<typeof mapJobSchema>;

/** Answers for a stored prompt set from one served model (judge/generate.ts; resumable by answer key). */
export const generateJobSchema = z.strictObject({
  kind: z.literal("generate"),
  model: name,
  set: name,
  seed: z.number().int(),
  maxTokens: z.number().int().min(1),
  limit: z.number().int().min(1).optional(),
});
export type GenerateJob = z.infer<typeof generateJobSchema>;

/** LLM judging of a stored set's answers by one served judge model (judge/judge.ts; resumable by judgment key). */
export const judgeJobSchema = z.strictObject({
  kind: z.literal("judge"),
  judge: name,
  set: name,
  models: z.array(name).min(2),
  seed: z.number().int(),
  maxTokens: z.number().int().min(1),
});
export type JudgeJob = z.infer<typeof judgeJobSchema>;

export const jobSchema = z.discriminatedUnion("kind", [evalJobSchema, mapJobSchema, generateJobSchema, judgeJobSchema]);

/** The queue a job goes to: the queue of the model that must serve it, or the map queue. */
export function queueOf(job: JobData): string {
  switch (job.kind) {
    case "eval":
      return job.source ? HUB_QUEUE : evalQueue(job.model);
    case "generate":
      return evalQueue(job.model);
    case "judge":
      return evalQueue(job.judge);
    case "map":
      return MAP_QUEUE;
  }
}
export type JobData = z.infer<typeof jobSchema>;

export function evalKey(j: Omit<EvalJob, "kind" | "key" | "submitter" | "tasks">): string {
  return sha256(
    JSON.stringify([
      j.model,
      j.revision,
      j.precision,
      j.chatTemplate,
      j.systemPrompt,
      j.suite,
      j.limit ?? null,
      j.seed,
    ]),
  );
}

export function parseJob(id: string, data: unknown): JobData {
  const r = jobSchema.safeParse(data);
  if (!r.success)
    throw new ModelmapError("input", `job ${id}: malformed job data: ${r.error.issues[0]?.message ?? "invalid"}`, {
      location: { field: r.error.issues[0]?.path.join(".") ?? "" },
    });
  return r.data;
}

/** The identity every endpoint of the fleet shares for one model revision: results do not depend on which served. */
export function fleetEndpoint(job: Pick<EvalJob, "model" | "revision" | "precision">): string {
  return `fleet:${job.model}@${job.revision}/${job.precision}`;
}
