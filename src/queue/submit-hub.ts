/**
 * Submissions from the Hugging Face hub (`owner/name`), checked the way the Open LLM Leaderboard checks them, through
 * the hub room (src/hub/): the revision is resolved to its commit once (`/api/models/ID/revision/REV`) and everything
 * after reads that commit's listing and files, so what was checked is what the worker downloads. The listing (sizes,
 * sha256) decides remote code (`*.py`), card, licence file, weights and size; config.json and README.md, the only
 * files read, come through the cache checksummed. A refusal (`refused`) says what failed and why.
 *
 * modelmap runs GGUF weights itself (llama.cpp); a repository with only safetensors weights is accepted only when
 * one of the operator's OpenAI-compatible endpoints serves it under its repository id.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import type { RepoFile } from "../hub/cache.ts";
import { apiUrl, fileUrl, hubGet, hubHttpError, isUnreachable, type RepoId } from "../hub/http.ts";
import type { HubSettings } from "../hub/settings.ts";
import { endpointOf, openSnapshot, type Snapshot } from "../hub/snapshot.ts";
import type { HubSource } from "./jobs.ts";

export interface HubCheckInput {
  model: string;
  revision: string;
  precision: string;
}

export interface HubPolicy {
  /** Where the hub is (HF_ENDPOINT, HF_TOKEN, offline, cache); absent: hub submissions are closed. */
  hub?: HubSettings | undefined;
  /** Largest weight size accepted, in bytes; undefined: no limit. */
  maxBytes?: number | undefined;
  /** Whether one of the operator's endpoints serves a model under this name. */
  served(model: string): Promise<boolean>;
}

export interface HubChecked {
  commit: string;
  precision: string;
  /** The GGUF the worker downloads; absent when an endpoint serves the model. */
  source?: HubSource;
  notes: string[];
}

/** llama.cpp's quantisation names as they appear in GGUF file names (longest first, so Q4_K_M wins over Q4_K). */
const QUANTS = [
  "Q4_K_M",
  "Q4_K_S",
  "Q5_K_M",
  "Q5_K_S",
  "Q3_K_L",
  "Q3_K_M",
  "Q3_K_S",
  "Q2_K",
  "Q6_K",
  "Q8_0",
  "Q4_0",
  "Q4_1",
  "Q5_0",
  "Q5_1",
  "BF16",
  "F16",
  "F32",
];

const RevisionInfo = z.object({
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  gated: z.union([z.literal(false), z.string()]).optional(),
  private: z.boolean().optional(),
});

const refuse = (field: string, message: string, hint?: string) =>
  new ModelmapError("refused", message, { location: { field }, ...(hint ? { hint } : {}) });

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e8 ? 4 : 2)} GB`;

/** `owner/name`, without path tricks: what a hub repository id looks like (a catalogue name has no `/`). */
export function isHubModelId(model: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(model) && !model.split("/").some((p) => p === "." || p === "..");
}

/** The quantisation a GGUF file name states, if any. */
export function quantOfName(file: string): string | undefined {
  const base = (file.split("/").pop() ?? file).toUpperCase();
  return QUANTS.find((q) => new RegExp(`(^|[^A-Z0-9])${q}([^A-Z0-9]|$)`).test(base));
}

/** A hub error turned into the refusal a submitter can act on; other failures (the hub's own faults) pass. */
function refusalOf(e: unknown, repo: string, hub: HubSettings): unknown {
  if (isUnreachable(e))
    return refuse(
      "model",
      `the hub (${hub.endpoint}) cannot be reached to check '${repo}': ${(e as Error).message}`,
      "submit again when this server is online",
    );
  if (e instanceof ModelmapError && (e.code === "auth" || e.code === "not_found"))
    return refuse("model", `'${repo}': ${e.message}`, e.hint);
  return e;
}

/** Resolves the revision to its commit, telling a missing repository from a missing revision and a gated one. */
async function resolveCommit(repo: RepoId, revision: string, hub: HubSettings): Promise<z.infer<typeof RevisionInfo>> {
  const what = `resolving ${repo.id} at '${revision}'`;
  const ep = endpointOf(hub);
  const res = await hubGet(apiUrl(hub.endpoint, repo, `/revision/${encodeURIComponent(revision)}`), ep, what, {
    accept: "application/json",
  });
  const code = res.headers.get("x-error-code");
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    // The hub answers an unknown (or private) repository with 401 and RepoNotFound to anonymous callers.
    if (code === "RepoNotFound" || (res.status === 404 && code !== "RevisionNotFound"))
      throw refuse(
        "model",
        `repository '${repo.id}' was not found on the hub (${hub.endpoint}; HTTP ${res.status})`,
        hub.token
          ? "check the name; a private repository must be readable with the operator's token"
          : "check the name (a private repository answers the same way)",
      );
    if (code === "RevisionNotFound")
      throw refuse("revision", `revision '${revision}' was not found in '${repo.id}' (HTTP ${res.status})`);
    throw refusalOf(await hubHttpError(res, what, ep, repo), repo.id, hub);
  }
  const r = RevisionInfo.safeParse(await res.json().catch(() => undefined));
  if (!r.success) throw new ModelmapError("network", `${what}: unexpected answer from the hub`);
  return r.data;
}

/** config.json and a card are a few kB; a larger one is not read on a submitter's word. */
const MAX_TEXT_BYTES = 4 * 2 ** 20;

/** The text of a small file of the snapshot, fetched through the cache (checksummed). */
async function readText(snap: Snapshot, path: string, hub: HubSettings, gated: boolean): Promise<string> {
  const size = snap.files.get(path)?.size ?? 0;
  if (size > MAX_TEXT_BYTES)
    throw refuse("model", `'${snap.repo.id}': ${path} is ${size} bytes; at most ${MAX_TEXT_BYTES} are read`);
  try {
    await snap.fetch([path]);
  } catch (e) {
    if (e instanceof ModelmapError && e.code === "auth")
      throw refuse(
        "model",
        `'${snap.repo.id}' is ${gated ? "gated" : "not readable"}: the hub refused its files (${e.message})`,
        gateHint(hub),
      );
    throw refusalOf(e, snap.repo.id, hub);
  }
  return readFileSync(snap.local(path), "utf8");
}

const gateHint = (hub: HubSettings) =>
  hub.token
    ? "the operator's token (HF_TOKEN) has not been granted access: accept the model's terms on the hub with that account"
    : "the operator must accept the model's terms on the hub and set HF_TOKEN so that workers can download it";

/**
 * A gated repository's files are asked for every time (one byte of one file), even when the cache has them: what
 * counts is whether the workers, with the operator's token, can download the weights now.
 */
async function checkGate(snap: Snapshot, hub: HubSettings): Promise<void> {
  const path = snap.paths.includes("README.md") ? "README.md" : snap.paths[0];
  if (path === undefined || !snap.commit) return;
  const what = `reading ${snap.repo.id}/${path}`;
  const ep = endpointOf(hub);
  let res: Response;
  try {
    res = await hubGet(fileUrl(hub.endpoint, snap.repo, snap.commit, path), ep, what, { range: "bytes=0-0" });
  } catch (e) {
    throw refusalOf(e, snap.repo.id, hub);
  }
  await res.body?.cancel().catch(() => {});
  if (res.status === 401 || res.status === 403) {
    const reason = res.headers.get("x-error-message") ?? "";
    throw refuse(
      "model",
      `'${snap.repo.id}' is gated: the hub refused its files (HTTP ${res.status}${reason ? `: ${reason}` : ""})`,
      gateHint(hub),
    );
  }
  if (!res.ok) throw refusalOf(await hubHttpError(res, what, ep, snap.repo), snap.repo.id, hub);
}

/** The card's YAML front matter (`---` ... `---`), or undefined. */
function frontMatter(card: string): Record<string, unknown> | undefined {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(card);
  if (!m) return undefined;
  try {
    const v: unknown = parseYaml(m[1] ?? "");
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const sum = (files: RepoFile[]) => files.reduce((a, f) => a + f.size, 0);

/** Checks a hub submission and pins it; throws `refused` with the reason otherwise. */
export async function checkHubSubmission(s: HubCheckInput, policy: HubPolicy): Promise<HubChecked> {
  const hub = policy.hub;
  if (!hub) throw refuse("model", `'${s.model}' names a hub repository, and this install takes no hub submissions`);
  if (!isHubModelId(s.model)) throw refuse("model", `'${s.model}' is not a hub repository id (owner/name)`);
  if (hub.offline)
    throw refuse(
      "model",
      `'${s.model}' cannot be checked: this server works offline (--offline or HF_HUB_OFFLINE), and a submission's revision must be resolved on the hub (${hub.endpoint})`,
    );
  const repo: RepoId = { kind: "model", id: s.model };
  const notes: string[] = [];
  let info: z.infer<typeof RevisionInfo>;
  let snap: Snapshot;
  try {
    info = await resolveCommit(repo, s.revision, hub);
    // The commit is its own revision: the listing checked is the one the worker downloads from.
    snap = await openSnapshot(repo, info.sha, hub);
  } catch (e) {
    throw refusalOf(e, s.model, hub);
  }
  const gated = info.gated !== undefined && info.gated !== false;
  if (gated) await checkGate(snap, hub);
  const files = [...snap.files.values()];
  const names = files.map((f) => f.path);

  // No remote code: a modelling file in the repository, or config.json mapping classes to one.
  const code = names.filter((p) => p.endsWith(".py"));
  if (code.length > 0)
    throw refuse(
      "model",
      `'${s.model}' ships code (${code.slice(0, 3).join(", ")}${code.length > 3 ? ", ..." : ""}): models that need remote code are not evaluated here`,
    );
  if (names.includes("config.json")) {
    let config: unknown;
    try {
      config = JSON.parse(await readText(snap, "config.json", hub, gated));
    } catch (e) {
      if (e instanceof ModelmapError) throw e;
      throw refuse("model", `'${s.model}': config.json is not JSON (${(e as Error).message})`);
    }
    if (config && typeof config === "object" && "auto_map" in config)
      throw refuse(
        "model",
        `'${s.model}' needs remote code: its config.json has auto_map (${Object.keys((config as { auto_map: object }).auto_map ?? {}).join(", ")}); models that need remote code are not evaluated here`,
      );
  }

  // Card and licence.
  if (!names.includes("README.md")) throw refuse("model", `'${s.model}' has no model card (README.md)`);
  const meta = frontMatter(await readText(snap, "README.md", hub, gated));
  const license = meta?.license;
  const licenseFile = names.find((p) => /^(LICEN[CS]E|COPYING)(\.[a-z]+)?$/i.test(p));
  if (!(typeof license === "string" && license.trim() !== "") && !(Array.isArray(license) && license.length > 0)) {
    if (!licenseFile)
      throw refuse(
        "model",
        `'${s.model}' states no licence: its card (README.md) has no 'license:' in its YAML header and there is no LICENSE file`,
      );
    notes.push(`licence from ${licenseFile}`);
  }

  // Weights, how they would run, and their size.
  const ggufs = files.filter((f) => f.path.endsWith(".gguf"));
  if (ggufs.length > 0) {
    const want = s.precision.toUpperCase();
    const matching = ggufs.filter((f) => quantOfName(f.path) === want);
    const unnamed = ggufs.filter((f) => quantOfName(f.path) === undefined);
    const chosen =
      matching.length === 1
        ? matching[0]
        : matching.length === 0 && ggufs.length === 1 && unnamed.length === 1
          ? unnamed[0]
          : undefined;
    if (!chosen) {
      const offered = [...new Set(ggufs.map((f) => quantOfName(f.path) ?? f.path))].join(", ");
      throw refuse(
        "precision",
        matching.length > 1
          ? `'${s.model}' has ${matching.length} GGUF files at ${want} (${matching.map((f) => f.path).join(", ")}); split GGUF files are not run here`
          : `'${s.model}' has no GGUF file at precision '${s.precision}' (it has ${offered})`,
      );
    }
    if (/-\d{5}-of-\d{5}\.gguf$/.test(chosen.path))
      throw refuse("model", `'${s.model}': ${chosen.path} is one part of a split GGUF; split files are not run here`);
    if (policy.maxBytes !== undefined && chosen.size > policy.maxBytes)
      throw refuse(
        "model",
        `'${s.model}' is too large: ${chosen.path} is ${gb(chosen.size)}; this leaderboard takes at most ${gb(policy.maxBytes)}`,
      );
    if (!chosen.sha256) notes.push(`${chosen.path} has no LFS sha256 in the listing; the worker checks its size only`);
    if (quantOfName(chosen.path) === undefined)
      notes.push(`${chosen.path} does not name its precision; the worker checks the file type when it downloads it`);
    return {
      commit: info.sha,
      precision: want,
      source: {
        kind: "hub",
        repo: s.model,
        commit: info.sha,
        file: chosen.path,
        size: chosen.size,
        ...(chosen.sha256 ? { sha256: chosen.sha256.toLowerCase() } : {}),
      },
      notes,
    };
  }
  const tensors = files.filter((f) => f.path.endsWith(".safetensors"));
  if (tensors.length === 0)
    throw refuse("model", `'${s.model}' has no weights modelmap can run (no .gguf or .safetensors file)`);
  const size = sum(tensors);
  if (policy.maxBytes !== undefined && size > policy.maxBytes)
    throw refuse(
      "model",
      `'${s.model}' is too large: its safetensors weights are ${gb(size)} (${tensors.length} file(s)); this leaderboard takes at most ${gb(policy.maxBytes)}`,
    );
  if (!(await policy.served(s.model)))
    throw refuse(
      "model",
      `'${s.model}' has safetensors weights only, and this install cannot run them: modelmap runs GGUF weights through llama.cpp, or a model that one of the operator's OpenAI-compatible endpoints serves, and none serves '${s.model}'`,
      "submit a repository with a GGUF conversion, or ask the operator to serve the model (e.g. with vLLM) and name the endpoint",
    );
  notes.push(`served by the operator's endpoint as '${s.model}'; the endpoint is trusted to serve commit ${info.sha}`);
  return { commit: info.sha, precision: s.precision, notes };
}
