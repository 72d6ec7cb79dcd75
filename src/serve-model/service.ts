/**
 * Starting and stopping `serve-model`: opens the GGUF with the llama-cpp backend (chat rendered through the
 * chosen template), and serves the OpenAI-compatible app. The CLI command and tests call this one function.
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { LlamaCppBackend } from "../backends/llama-cpp/index.ts";
import type { ChatMessage } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { listen } from "../http/listen.ts";
import { resolveModel } from "../models/resolve.ts";
import { type ResolvedTemplate, renderChat, resolveTemplate, type TemplateSpec } from "../templates/index.ts";
import { createServeModelApp } from "./app.ts";

export interface ServeModelConfig {
  modelPath: string;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  contextSize?: number;
  /** "auto" (default), "gguf", "none", a named template (e.g. "chatml"), or a tokenizer_config.json path. */
  template?: string;
  /** Name listed by /v1/models (default: the file name without .gguf). */
  modelName?: string;
  threads?: number;
  gpu?: false | "auto";
  /** Resolves a relative model path and template path (the shell's working directory). */
  cwd: string;
  /** A fixed service time per request, one request at a time (benchmarks; see ServeModelOptions). */
  serviceTimeMs?: number;
}

export interface RunningModelServer {
  url: string;
  port: number;
  modelName: string;
  backend: LlamaCppBackend;
  template: ResolvedTemplate;
  close(): Promise<void>;
}

export function templateSpecFromFlag(value: string | undefined, cwd: string): TemplateSpec {
  const v = value ?? "auto";
  if (v === "auto" || v === "gguf" || v === "none") return { source: v };
  if (v.startsWith("named:")) return { source: "named", name: v.slice(6) };
  const path = resolve(cwd, v);
  if (v.includes("/") || v.endsWith(".json") || existsSync(path)) return { source: "tokenizer_config", path };
  return { source: "named", name: v };
}

export async function startModelServer(cfg: ServeModelConfig): Promise<RunningModelServer> {
  const cwd = cfg.cwd;
  const modelPath = resolve(cwd, cfg.modelPath);
  if (!existsSync(modelPath)) {
    throw new ModelmapError("not_found", `GGUF file not found: ${modelPath}`, { location: { file: modelPath } });
  }
  const spec = templateSpecFromFlag(cfg.template, cwd);
  // The template is resolved once the model is open (it may come from the GGUF); chat requests wait for it.
  let template: ResolvedTemplate | undefined;
  const render = (
    messages: ChatMessage[],
    ctx: { addGenerationPrompt: boolean; bosToken: string; eosToken: string },
  ) => {
    if (!template) throw new ModelmapError("internal", "chat template not resolved yet");
    return renderChat(template, messages, {
      addGenerationPrompt: ctx.addGenerationPrompt,
      bosToken: ctx.bosToken,
      eosToken: ctx.eosToken,
    }).text;
  };
  const backend = await resolveModel(
    {
      kind: "gguf",
      file: modelPath,
      renderChat: render,
      ...(cfg.contextSize !== undefined ? { contextSize: cfg.contextSize } : {}),
      ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}),
      ...(cfg.gpu !== undefined ? { gpu: cfg.gpu } : {}),
    },
    // A GGUF reads no environment.
    { env: {}, cwd },
  );
  try {
    template = resolveTemplate(spec, {
      ggufChatTemplate: backend.ggufChatTemplate,
      ggufOrigin: basename(modelPath),
      baseDir: cwd,
      bosToken: backend.bosToken,
      eosToken: backend.eosToken,
    });
    const modelName = cfg.modelName ?? basename(modelPath).replace(/\.gguf$/i, "");
    const app = createServeModelApp(backend, {
      modelName,
      ...(cfg.serviceTimeMs ? { serviceTimeMs: cfg.serviceTimeMs } : {}),
    });
    const server = await listen(app, { host: cfg.host ?? "127.0.0.1", port: cfg.port });
    return {
      url: server.url,
      port: server.port,
      modelName,
      backend,
      template,
      close: async () => {
        await server.close();
        await backend.close();
      },
    };
  } catch (e) {
    await backend.close();
    throw e;
  }
}
