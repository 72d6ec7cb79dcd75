/**
 * Leaderboard submissions, as the Open LLM Leaderboard takes them: model, revision, precision, chat-template flag,
 * system-prompt preset and suite. One service behind `modelmap submit` and the web form. A submission is checked
 * before it is queued, and a refusal (error code `refused`) says which check failed and why.
 *
 * The source of models is the operator's catalogue: a folder of GGUF files, a model being a file's name without
 * `.gguf` (the name `serve-model` lists by default). What a GGUF says is what is checked: the revision is the
 * file's sha256 (a submitted revision must be a prefix of it, or `main` to pin the current file), the precision
 * its file type, the card its `general.description` (or a `NAME.md` beside it), the licence `general.license`,
 * the size its parameter count. A GGUF holds weights and a template only, so "no remote code" holds by
 * construction.
 *
 * A model named `owner/name` comes from the Hugging Face hub instead (submit-hub.ts): the revision is pinned to the
 * commit the hub resolves it to, and the repository's listing and files are checked there.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { type GgufHeader, metaNumber, metaString, readGgufHeader } from "../gguf/reader.ts";
import type { HubSettings } from "../hub/settings.ts";
import { loadRegistry } from "../runner/service.ts";
import { type EvalJob, evalKey, type HubSource } from "./jobs.ts";
import type { JobQueue } from "./queue.ts";
import { checkHubSubmission, isHubModelId } from "./submit-hub.ts";

export const submissionSchema = z.strictObject({
  model: z.string().min(1).max(200),
  revision: z.string().min(1).max(100).default("main"),
  precision: z.string().min(1).max(20),
  chatTemplate: z.boolean(),
  systemPrompt: z.string().min(1).max(100).default("none"),
  suite: z.string().min(1).max(200),
  submitter: z.string().min(1).max(100),
  limit: z.number().int().min(1).max(100_000).optional(),
});
export type Submission = z.input<typeof submissionSchema>;

export interface SubmissionPolicy {
  /** The operator's catalogue of GGUF files. */
  modelsDir: string;
  /** Largest parameter count accepted; undefined: no limit. */
  maxParams?: number | undefined;
  /** Refuse models whose GGUF names no licence. */
  requireLicense?: boolean;
  /** Submissions per submitter per window (default 5 per 24 h). */
  ratePerWindow?: number;
  windowMs?: number;
  /** Operator task folders besides the shipped ones (suites are resolved there). */
  tasksDirs?: string[];
  /** The operator's system-prompt presets (besides none and default). */
  presets?: Readonly<Record<string, string>> | undefined;
  /** Endpoints that must list the model for it to count as reachable; none: the catalogue file suffices. */
  endpoints?: string[];
  /** The hub that `owner/name` submissions come from; absent: only the catalogue is open. */
  hub?: HubSettings | undefined;
  /** Largest weight size of a hub model in bytes (the GGUF file, else the safetensors files); undefined: no limit. */
  maxBytes?: number | undefined;
  seed?: number;
  now?: () => Date;
}

export interface Accepted {
  jobId: string;
  job: EvalJob;
  /** Notes on checks that passed with a caveat (e.g. no licence stated). */
  notes: string[];
}

/** llama.cpp's `general.file_type` values, as precision names. */
export const FILE_TYPES: Readonly<Record<number, string>> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  32: "BF16",
};

const refuse = (field: string, message: string, hint?: string) =>
  new ModelmapError("refused", message, { location: { field }, ...(hint ? { hint } : {}) });

async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

function paramCount(h: GgufHeader): number {
  return h.tensors.reduce((a, t) => a + t.dims.reduce((p, d) => p * d, 1), 0);
}

async function listedBy(endpoint: string, model: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint.replace(/\/$/, "")}/models`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data?: Array<{ id?: unknown }> };
    return (body.data ?? []).some((m) => m.id === model);
  } catch {
    return false;
  }
}

interface Pinned {
  revision: string;
  precision: string;
  source?: HubSource;
  notes: string[];
}

/** Checks a GGUF of the operator's catalogue: the revision pinned to the file's sha256. */
async function checkCatalogue(s: z.output<typeof submissionSchema>, policy: SubmissionPolicy): Promise<Pinned> {
  const notes: string[] = [];
  // Reachable: a file of the catalogue (never a path: the name is a file name), and listed by an endpoint.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.model))
    throw refuse("model", `model '${s.model}' is not a model name (letters, digits, '.', '_', '-')`);
  const file = join(policy.modelsDir, `${s.model}.gguf`);
  if (!existsSync(file))
    throw refuse("model", `model '${s.model}' is not in the operator's catalogue (${policy.modelsDir})`);
  const endpoints = policy.endpoints ?? [];
  if (endpoints.length > 0 && !(await Promise.all(endpoints.map((e) => listedBy(e, s.model)))).some(Boolean))
    throw refuse("model", `model '${s.model}' is not reachable: none of the operator's endpoints serves it`);
  let header: GgufHeader;
  try {
    header = readGgufHeader(file);
  } catch (e) {
    throw refuse("model", `model '${s.model}' cannot be read: ${(e as Error).message}`);
  }
  // Revision pinned to the weights' content.
  const sha = await fileSha256(file);
  const revision = s.revision === "main" ? sha : s.revision.toLowerCase();
  if (!/^[0-9a-f]{7,64}$/.test(revision) || !sha.startsWith(revision))
    throw refuse(
      "revision",
      `revision '${s.revision}' is not this model's: its weights are sha256 ${sha}`,
      "use 'main' or a prefix of the sha256",
    );
  const fileType = metaNumber(header, "general.file_type");
  const precision = fileType === undefined ? undefined : FILE_TYPES[fileType];
  if (precision === undefined || precision.toLowerCase() !== s.precision.toLowerCase())
    throw refuse(
      "precision",
      `precision '${s.precision}' does not match the weights (${precision ?? `file type ${fileType ?? "unknown"}`})`,
    );
  // Card and licence, where the source has them.
  const card =
    metaString(header, "general.description") ??
    (existsSync(join(policy.modelsDir, `${s.model}.md`)) ? "md" : undefined);
  if (!card)
    throw refuse("model", `model '${s.model}' has no model card (general.description, or ${s.model}.md beside it)`);
  const license = metaString(header, "general.license");
  if (!license) {
    if (policy.requireLicense) throw refuse("model", `model '${s.model}' states no licence (general.license)`);
    notes.push("the weights state no licence (general.license)");
  }
  const params = paramCount(header);
  if (policy.maxParams !== undefined && params > policy.maxParams)
    throw refuse(
      "model",
      `model '${s.model}' has ${params} parameters; this leaderboard takes at most ${policy.maxParams}`,
    );
  if (s.chatTemplate && !metaString(header, "tokenizer.chat_template"))
    throw refuse("chatTemplate", `model '${s.model}' has no chat template; submit with --no-chat-template`);
  return { revision: sha, precision, notes };
}

/** Checks a submission and queues its evaluation; throws `refused` (or `input` for a malformed one) otherwise. */
export async function submit(queue: JobQueue, input: unknown, policy: SubmissionPolicy): Promise<Accepted> {
  const parsed = submissionSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelmapError("input", `submission: ${issue?.message ?? "invalid"}`, {
      location: { field: issue?.path.join(".") ?? "" },
    });
  }
  const s = parsed.data;
  const endpoints = policy.endpoints ?? [];
  const pinned: Pinned = isHubModelId(s.model)
    ? await checkHubSubmission(s, {
        hub: policy.hub,
        maxBytes: policy.maxBytes,
        served: async (m) => (await Promise.all(endpoints.map((e) => listedBy(e, m)))).some(Boolean),
      }).then((c) => ({
        revision: c.commit,
        precision: c.precision,
        ...(c.source ? { source: c.source } : {}),
        notes: c.notes,
      }))
    : await checkCatalogue(s, policy);
  const { revision: sha, precision, notes } = pinned;
  const presets = ["none", "default", ...Object.keys(policy.presets ?? {})];
  if (!presets.includes(s.systemPrompt))
    throw refuse("systemPrompt", `unknown system prompt preset '${s.systemPrompt}'`, `presets: ${presets.join(", ")}`);
  // Only shipped tasks (and the operator's folders), never hooks run in Python.
  let tasks: string[];
  try {
    tasks = loadRegistry(policy.tasksDirs ?? [])
      .resolve([s.suite])
      .tasks.map((t) => t.name);
  } catch (e) {
    throw refuse("suite", `suite '${s.suite}' is not one this leaderboard runs: ${(e as Error).message}`);
  }
  const base = {
    model: s.model,
    revision: sha,
    precision: precision,
    chatTemplate: s.chatTemplate,
    systemPrompt: s.systemPrompt,
    suite: s.suite,
    ...(s.limit !== undefined ? { limit: s.limit } : {}),
    seed: policy.seed ?? 1234,
  };
  const key = evalKey(base);
  const { live, dead } = await queue.withKey(key);
  const existing = live;
  if (existing[0])
    throw refuse(
      "model",
      `'${s.model}' at revision ${sha.slice(0, 12)} (${precision}, ${s.chatTemplate ? "chat template" : "no chat template"}, system prompt ${s.systemPrompt}) on '${s.suite}' is already ${existing[0].state === "completed" ? "evaluated" : "queued"} (job ${existing[0].id})`,
    );
  const windowMs = policy.windowMs ?? 24 * 3600_000;
  const limit = policy.ratePerWindow ?? 5;
  const now = policy.now?.() ?? new Date();
  const recent = await queue.countBySubmitter(s.submitter, new Date(now.getTime() - windowMs));
  if (recent >= limit)
    throw refuse(
      "submitter",
      `'${s.submitter}' has submitted ${recent} models in the last ${Math.round(windowMs / 3600_000)} h; the limit is ${limit}`,
    );
  const job: EvalJob = {
    kind: "eval",
    ...base,
    tasks,
    submitter: s.submitter,
    ...(pinned.source ? { source: pinned.source } : {}),
    key,
  };
  // The id follows from the evaluation and its earlier failed tries: two identical submissions racing past the
  // check above compute the same id, and the queue takes only one.
  const jobId = await queue.send(job, { id: uuidFrom(`${key}:${dead}`) }).catch((e: unknown) => {
    if (e instanceof ModelmapError && e.code === "conflict")
      throw refuse("model", `'${s.model}' with these settings on '${s.suite}' was just queued by another submission`);
    throw e;
  });
  return { jobId, job, notes };
}

/** A UUID (version 4 layout) made from a text's sha256, so that the same text gives the same id. */
function uuidFrom(text: string): string {
  const h = createHash("sha256").update(text).digest("hex");
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The catalogue's model names (for the form's list). */
export function catalogue(modelsDir: string): string[] {
  if (!existsSync(modelsDir) || !statSync(modelsDir).isDirectory()) return [];
  return readdirSync(modelsDir)
    .filter((f) => f.endsWith(".gguf"))
    .map((f) => f.slice(0, -5))
    .sort();
}
