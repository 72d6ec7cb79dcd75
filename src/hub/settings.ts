/**
 * Where the hub is, who asks, where downloads go, and whether downloading is allowed at all: one value built by the
 * command line from its environment (the hub code itself reads no environment). The variables are
 * huggingface_hub's, so that a machine set up for lm-eval works unchanged: `HF_ENDPOINT` (a mirror), `HF_TOKEN`
 * (else the token `huggingface-cli login` saved), `HF_HUB_OFFLINE`, `HF_HUB_CACHE`/`HF_HOME` (read, never written).
 * modelmap's own cache is `$MODELMAP_CACHE` (alias `$MODELMAP_CACHE_DIR`), else `$XDG_CACHE_HOME/modelmap`, else
 * `~/.cache/modelmap`; hub files live in its `hub/` folder, models and datasets alike.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { DownloadProgress, DownloadRequest } from "./download.ts";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

export interface HubSettings {
  /** Base URL of the hub (`HF_ENDPOINT`), no trailing slash. */
  endpoint: string;
  token?: string;
  /** No request at all (`--offline`, `HF_HUB_OFFLINE=1`): only local copies and the caches. */
  offline: boolean;
  /** modelmap's hub cache: downloads go here. */
  cacheDir: string;
  /** Other hub caches, read but never written (the Hugging Face cache that lm-eval's `datasets` fills). */
  readCaches: string[];
  progress?: DownloadProgress;
  signal?: AbortSignal;
  /** Download tuning (tests shorten the waits). */
  download?: Pick<DownloadRequest, "retries" | "retryDelayMs" | "stallMs" | "lockStaleMs">;
}

type Env = Readonly<Record<string, string | undefined>>;

const TRUE = new Set(["1", "on", "yes", "true"]);

/** huggingface_hub's reading of a boolean variable. */
export function envFlag(v: string | undefined): boolean {
  return v !== undefined && TRUE.has(v.trim().toLowerCase());
}

/** modelmap's cache folder (models and datasets from the hub are under its `hub/`). */
export function modelmapCacheDir(env: Env): string {
  const given = env.MODELMAP_CACHE || env.MODELMAP_CACHE_DIR;
  return given || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "modelmap");
}

function hfHome(env: Env): string {
  return env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
}

/** `HF_TOKEN`, else the legacy `HUGGING_FACE_HUB_TOKEN`, else the file `huggingface-cli login` writes. */
export function hubToken(env: Env): string | undefined {
  const t = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (t) return t.trim();
  const file = env.HF_TOKEN_PATH || join(hfHome(env), "token");
  try {
    if (existsSync(file)) return readFileSync(file, "utf8").trim() || undefined;
  } catch {}
  return undefined;
}

/** The settings a command runs with, from its environment and flags (`--offline`, `--cache-dir`). */
export function hubSettingsFromEnv(
  env: Env,
  opts: { offline?: boolean; cacheDir?: string; progress?: DownloadProgress; signal?: AbortSignal } = {},
): HubSettings {
  const token = hubToken(env);
  return {
    endpoint: (env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, ""),
    ...(token ? { token } : {}),
    offline: opts.offline === true || envFlag(env.HF_HUB_OFFLINE) || envFlag(env.TRANSFORMERS_OFFLINE),
    cacheDir: opts.cacheDir ?? join(modelmapCacheDir(env), "hub"),
    readCaches: [env.HF_HUB_CACHE || join(hfHome(env), "hub")],
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}
