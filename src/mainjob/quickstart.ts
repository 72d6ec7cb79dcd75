/**
 * `modelmap quickstart --download`: two small real instruct models from Hugging Face, downloaded once into the hub
 * cache (`$MODELMAP_CACHE/hub`, shared with hub datasets) by the same code that downloads datasets (sha256 checked
 * against the hub's listing, resumable, one process at a time), then the same pipeline as the offline main job.
 */
import { ModelmapError } from "../core/errors.ts";
import type { HubSettings } from "../hub/settings.ts";
import { openSnapshot } from "../hub/snapshot.ts";
import { probeHost } from "./network.ts";
import type { PipelineModel } from "./pipeline.ts";

export const QUICKSTART_MODELS: ReadonlyArray<{ id: string; uri: string }> = [
  { id: "smollm2-360m-instruct", uri: "hf:bartowski/SmolLM2-360M-Instruct-GGUF/SmolLM2-360M-Instruct-Q4_K_M.gguf" },
  { id: "qwen2.5-0.5b-instruct", uri: "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf" },
];
export const QUICKSTART_VOTE_SOURCE = "quickstart-verifiable";

/** `hf:owner/repo/path/in/repo.gguf` -> the model repository and the file's path in it. */
export function parseHfUri(uri: string): { repo: string; path: string } {
  const m = /^hf:([\w.-]+\/[\w.-]+)\/(.+)$/.exec(uri);
  if (!m) throw new ModelmapError("input", `'${uri}' is not an hf:owner/repo/file URI`);
  return { repo: m[1] as string, path: m[2] as string };
}

/** host:port of the hub's endpoint, for the reachability probe. */
function endpointHost(endpoint: string): { host: string; port: number } {
  const u = new URL(endpoint);
  return { host: u.hostname, port: Number(u.port || (u.protocol === "http:" ? 80 : 443)) };
}

export async function downloadQuickstartModels(opts: {
  /** Where the hub is, the cache the models go to, progress and interruption. */
  hub: HubSettings;
  /** host:port probed before anything is downloaded (tests point it at an unreachable address). */
  probe?: { host: string; port: number; timeoutMs: number };
  log?: (line: string) => void;
}): Promise<PipelineModel[]> {
  const p = opts.probe ?? { ...endpointHost(opts.hub.endpoint), timeoutMs: 3000 };
  // HF_HUB_OFFLINE: the models must be in the cache already (openSnapshot says so if they are not).
  if (!opts.hub.offline) {
    await probeHost(p.host, p.port, p.timeoutMs);
    opts.log?.(`modelmap quickstart: ${p.host} reachable; models go to ${opts.hub.cacheDir}`);
  }
  const out: PipelineModel[] = [];
  for (const m of QUICKSTART_MODELS) {
    opts.log?.(`  ${m.id}: ${m.uri}`);
    const { repo, path } = parseHfUri(m.uri);
    const snap = await openSnapshot({ kind: "model", id: repo }, "main", opts.hub);
    if (!snap.files.has(path))
      throw new ModelmapError("not_found", `${m.uri}: the repository ${repo} has no file ${path}`);
    await snap.fetch([path]);
    out.push({ id: m.id, file: snap.local(path) });
  }
  return out;
}
