/**
 * `modelmap quickstart --download`: two small real instruct models from Hugging Face, downloaded once into a
 * cache directory through node-llama-cpp's downloader, then the same pipeline as the offline main job.
 */
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { downloadModelFile } from "../backends/llama-cpp/download.ts";
import { probeHost } from "./network.ts";
import type { PipelineModel } from "./pipeline.ts";

export const QUICKSTART_MODELS: ReadonlyArray<{ id: string; uri: string }> = [
  { id: "smollm2-360m-instruct", uri: "hf:bartowski/SmolLM2-360M-Instruct-GGUF/SmolLM2-360M-Instruct-Q4_K_M.gguf" },
  { id: "qwen2.5-0.5b-instruct", uri: "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf" },
];
export const QUICKSTART_VOTE_SOURCE = "quickstart-verifiable";
export const HF_HOST = "huggingface.co";

/** $MODELMAP_CACHE_DIR, else $XDG_CACHE_HOME/modelmap, else ~/.cache/modelmap; models live in models/. */
export function defaultModelCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.MODELMAP_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "modelmap");
  return join(base, "models");
}

export async function downloadQuickstartModels(opts: {
  cacheDir: string;
  /** host:port probed before anything is downloaded (tests point it at an unreachable address). */
  probe?: { host: string; port: number; timeoutMs: number };
  log?: (line: string) => void;
  signal?: AbortSignal;
}): Promise<PipelineModel[]> {
  const p = opts.probe ?? { host: HF_HOST, port: 443, timeoutMs: 3000 };
  await probeHost(p.host, p.port, p.timeoutMs);
  mkdirSync(opts.cacheDir, { recursive: true });
  opts.log?.(`modelmap quickstart: ${p.host} reachable; models go to ${opts.cacheDir}`);
  const out: PipelineModel[] = [];
  for (const m of QUICKSTART_MODELS) {
    opts.log?.(`  ${m.id}: ${m.uri}`);
    let lastPct = -10;
    const file = await downloadModelFile(m.uri, opts.cacheDir, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (s) => {
        const pct = s.totalBytes > 0 ? Math.floor((100 * s.downloadedBytes) / s.totalBytes) : 0;
        if (pct >= lastPct + 10) {
          lastPct = pct;
          opts.log?.(`    ${pct}% of ${(s.totalBytes / 2 ** 20).toFixed(0)} MiB`);
        }
      },
    });
    out.push({ id: m.id, file });
  }
  return out;
}
