/**
 * What names a model: a modelmap.yaml entry (by id or as parsed), a GGUF file, or an OpenAI-compatible endpoint.
 * `resolveModel` turns any of them into a Backend; the helpers below turn command-line flags into a spec.
 */
import { basename } from "node:path";
import type { ChatRenderer } from "../backends/llama-cpp/index.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { ModelConfig } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import type { SystemPromptSpec } from "../templates/system-prompt.ts";

/** What a model opens in. The shell (CLI command, server start-up) builds it; the core reads no process globals. */
export interface ModelContext {
  /** The environment the shell hands in: a config entry's api_key_env is read from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths in a spec (a --gguf file) resolve against it; without it they must be absolute. */
  cwd?: string | undefined;
  /** modelmap.yaml, loaded once by the shell: ids are looked up in it, and its system_prompts are the presets. */
  config?: LoadedConfig | undefined;
}

interface OpenSettings {
  /** Sampling seed when a request gives none, and the retry jitter's (default 0). */
  seed?: number;
  /** llama.cpp CPU threads (default: the config entry's, else the engine's choice). */
  threads?: number;
}

/** A model of modelmap.yaml: its id (looked up in the context's config) or its entry (paths already resolved). */
export interface ConfigModelSpec extends OpenSettings {
  kind: "config";
  model: string | ModelConfig;
  /** Overrides the entry's system prompt. */
  systemPrompt?: SystemPromptSpec;
  /** The clock templates read through strftime_now (Llama 3.x writes the date); fix it for reproducible prompts. */
  now?: Date;
  /**
   * llama-cpp: open the engine on first use. Identity (file name and sha256) and provenance (template and
   * system prompt, from the GGUF header) are known without it, so a rerun served from the caches loads no weights.
   */
  lazy?: boolean | { onLoad(): void };
}

/** A GGUF file through llama.cpp in-process: bare (prompt strings), or with its own chat template. */
export interface GgufModelSpec extends OpenSettings {
  kind: "gguf";
  file: string;
  /** modelmap's id for it (default: the file name). */
  id?: string;
  /** Prompt with the GGUF's chat template, system prompt and BOS handling, as a configured model is. */
  chatTemplate?: boolean;
  /** A bare engine's chat renderer (serve-model renders with the template its --template flag names). */
  renderChat?: ChatRenderer;
  contextSize?: number;
  gpu?: false | "auto";
}

/** A model behind an OpenAI-compatible server, named ad hoc rather than in modelmap.yaml. */
export interface EndpointModelSpec {
  kind: "endpoint";
  /** Base URL ending in /v1. */
  url: string;
  /** The name the server serves it under. */
  modelName: string;
  /** modelmap's id for it. */
  id: string;
  apiKey?: string;
  concurrency?: number;
  seed?: number;
}

export type ModelSpec = ConfigModelSpec | GgufModelSpec | EndpointModelSpec;

export interface ModelFlags {
  model?: string | undefined;
  gguf?: string | undefined;
  endpoint?: string | undefined;
  modelName?: string | undefined;
  apiKey?: string | undefined;
  concurrency?: number | undefined;
  threads?: number | undefined;
  /** --chat-template: a --gguf renders with its own template. */
  chatTemplate?: boolean | undefined;
}

/** The model `--model ID | --gguf FILE | --endpoint URL --model-name NAME` names, and the id its results go under. */
export function modelFromFlags(f: ModelFlags): { spec: ModelSpec; modelId: string } {
  const given = [f.model, f.gguf, f.endpoint].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new ModelmapError(
      "usage",
      "name exactly one model: --model ID, --gguf FILE, or --endpoint URL --model-name NAME",
    );
  const threads = f.threads !== undefined ? { threads: f.threads } : {};
  if (f.gguf !== undefined) {
    const id = basename(f.gguf);
    return {
      spec: { kind: "gguf", file: f.gguf, id, ...threads, ...(f.chatTemplate ? { chatTemplate: true } : {}) },
      modelId: `gguf:${id}`,
    };
  }
  if (f.endpoint !== undefined) {
    if (!f.modelName) throw new ModelmapError("usage", "--endpoint needs --model-name (the name the server serves)");
    checkBaseUrl(f.endpoint, "--endpoint");
    const id = `${f.modelName}@${f.endpoint}`;
    return {
      spec: {
        kind: "endpoint",
        url: f.endpoint,
        modelName: f.modelName,
        id,
        ...(f.apiKey ? { apiKey: f.apiKey } : {}),
        ...(f.concurrency ? { concurrency: f.concurrency } : {}),
      },
      modelId: id,
    };
  }
  const id = f.model as string;
  return { spec: { kind: "config", model: id, ...threads }, modelId: id };
}

/** A base URL given on the command line: http(s), parseable, with a path (servers answer under /v1). */
function checkBaseUrl(url: string, what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ModelmapError("usage", `${what}: '${url}' is not a URL; expected http(s)://host:port/v1`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new ModelmapError("usage", `${what}: '${url}' is not an http(s) URL; expected http(s)://host:port/v1`);
  if (u.pathname === "/" || u.pathname === "")
    throw new ModelmapError(
      "usage",
      `${what}: '${url}' has no path: a base URL ends in /v1 (${url.replace(/\/+$/, "")}/v1)`,
    );
}

/**
 * A `--models`/`--judge` entry: `NAME@URL` is a model served by any OpenAI-compatible server at URL (ending in
 * /v1), NAME being both modelmap's id and the served model name; anything else is an id in modelmap.yaml.
 */
export function parseModelRef(ref: string): { id: string; spec: ModelSpec } {
  const at = ref.indexOf("@");
  if (at > 0) {
    const id = ref.slice(0, at);
    const url = ref.slice(at + 1);
    if (!/^https?:\/\//.test(url))
      throw new ModelmapError("usage", `model '${ref}': expected NAME@http(s)://host:port/v1`);
    checkBaseUrl(url, `model '${ref}'`);
    return { id, spec: { kind: "endpoint", url, modelName: id, id } };
  }
  return { id: ref, spec: { kind: "config", model: ref } };
}
