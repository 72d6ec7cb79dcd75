/**
 * `modelmap models check`: for each configured model, whether it is reachable, which template it gets, whether
 * a short generation works and whether log-likelihood is supported. Every step's failure is recorded as data
 * (status + detail), so one broken model does not hide the state of the others.
 */
import { existsSync } from "node:fs";
import type { Backend } from "../backends/types.ts";
import type { LoadedConfig } from "../config/load.ts";
import { endpointsOf, type ModelConfig } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { ggufTokenizerInfo, resolveModelPrompting } from "./prompting.ts";
import { resolveModel } from "./resolve.ts";

export type StepStatus = "ok" | "fail" | "unsupported" | "skipped";

export interface CheckStep {
  step: "reachable" | "template" | "generate" | "loglikelihood";
  status: StepStatus;
  detail: string;
}

export interface ModelCheck {
  id: string;
  backend: string;
  ok: boolean;
  steps: CheckStep[];
}

function reason(e: unknown): string {
  return e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e);
}

async function reachable(
  m: ModelConfig,
  backend: Backend | undefined,
  signal: AbortSignal | undefined,
): Promise<CheckStep> {
  if (m.backend === "llama-cpp") {
    const file = m.file ?? "";
    if (!existsSync(file)) return { step: "reachable", status: "fail", detail: `file not found: ${file}` };
    try {
      ggufTokenizerInfo(file);
      return {
        step: "reachable",
        status: backend ? "ok" : "fail",
        detail: backend ? `loaded ${file}` : `${file} did not load`,
      };
    } catch (e) {
      return { step: "reachable", status: "fail", detail: reason(e) };
    }
  }
  if (!backend) return { step: "reachable", status: "fail", detail: "backend did not open" };
  if (!backend.listModels) return { step: "reachable", status: "skipped", detail: "the backend cannot list models" };
  try {
    const served = await backend.listModels(signal ? { signal } : {});
    const name = m.model ?? m.id;
    const has = served.includes(name);
    return {
      step: "reachable",
      status: "ok",
      detail: `${endpointsOf(m).join(", ")} serves ${served.length} model(s)${has ? `, including '${name}'` : `; '${name}' is not among them (${served.slice(0, 5).join(", ")})`}`,
    };
  } catch (e) {
    return { step: "reachable", status: "fail", detail: reason(e) };
  }
}

export async function checkModel(
  loaded: LoadedConfig,
  m: ModelConfig,
  opts: { env: Readonly<Record<string, string | undefined>>; signal?: AbortSignal },
): Promise<ModelCheck> {
  const steps: CheckStep[] = [];
  const presets = loaded.config.system_prompts;
  try {
    const p = resolveModelPrompting(m, { presets });
    const t = p.template;
    steps.push({
      step: "template",
      status: "ok",
      detail: t
        ? `${t.source}${t.name ? ` '${t.name}'` : ""} (sha256 ${t.hash.slice(0, 12)}), system prompt ${p.systemPrompt.source}`
        : `the server's own (chat/completions), system prompt ${p.systemPrompt.source}`,
    });
  } catch (e) {
    steps.push({ step: "template", status: "fail", detail: reason(e) });
  }
  let backend: Backend | undefined;
  let openError: unknown;
  try {
    backend = await resolveModel({ kind: "config", model: m }, { env: opts.env, config: loaded });
  } catch (e) {
    openError = e;
  }
  const r = await reachable(m, backend, opts.signal);
  if (!backend && openError !== undefined) r.detail = `${r.detail}: ${reason(openError)}`;
  steps.unshift(r);
  const call = opts.signal ? { signal: opts.signal } : {};
  if (backend && r.status !== "fail") {
    try {
      const g = await backend.generate(
        [{ role: "user", content: "Say hello." }],
        { maxTokens: 8, temperature: 0 },
        call,
      );
      steps.push({
        step: "generate",
        status: "ok",
        detail: `${JSON.stringify(g.text.slice(0, 60))} (${g.finishReason})`,
      });
    } catch (e) {
      steps.push({ step: "generate", status: "fail", detail: reason(e) });
    }
    try {
      const [ll] = await backend.loglikelihood([{ context: "The capital of France is", continuation: " Paris" }], call);
      steps.push({
        step: "loglikelihood",
        status: "ok",
        detail: `supported (log p(" Paris") = ${ll?.logprob.toFixed(3)} over ${ll?.tokenCount} token(s))`,
      });
    } catch (e) {
      const unsupported = e instanceof ModelmapError && e.code === "unsupported";
      steps.push({ step: "loglikelihood", status: unsupported ? "unsupported" : "fail", detail: reason(e) });
    }
  } else {
    steps.push({ step: "generate", status: "skipped", detail: "not reachable" });
    steps.push({ step: "loglikelihood", status: "skipped", detail: "not reachable" });
  }
  await backend?.close().catch(() => undefined);
  return {
    id: m.id,
    backend: m.backend,
    ok: steps.every((s) => s.status === "ok" || s.status === "unsupported"),
    steps,
  };
}
