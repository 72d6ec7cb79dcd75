/**
 * The layers `resolveModel` puts around an engine: loading it on first use, applying the model's chat template
 * and system prompt (and saying so in `provenance`), and the model's generation defaults.
 */
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BackendCapabilities,
  type BackendProvenance,
  type GenerationParams,
  type ModelIdentity,
} from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import type { BackendMiddleware } from "./middleware.ts";
import { type ModelPrompting, promptForModel } from "./prompting.ts";

/**
 * A backend whose engine is not open yet: what it is is known, calls are not. Only useful under `lazyLoading`,
 * which answers every call from the engine it opens.
 */
export function unopened(identity: ModelIdentity, capabilities: BackendCapabilities): Backend {
  const fail = () =>
    Promise.reject(new ModelmapError("internal", `model ${identity.id}: engine not open (wrap it with lazyLoading)`));
  return {
    specVersion: BACKEND_SPEC_VERSION,
    identity,
    capabilities,
    generate: fail,
    loglikelihood: fail,
    loglikelihoodRolling: fail,
    close: async () => {},
  };
}

export type OptionalCall = "tokenize" | "detokenize" | "promptLogprobs" | "renderChat" | "listModels";

export interface LazyLoadingOptions {
  /** The optional calls the engine will have (the wrapped backend offers them before it is open). */
  provides?: readonly OptionalCall[];
  /** Called when the engine starts loading (e.g. to count the models a run had to load). */
  onLoad?: () => void;
  /** The identity the engine must report once open (what caches were keyed on before it was). */
  expect?: ModelIdentity;
}

/** Opens the engine on the first call, so that work served entirely from caches never loads it. */
export function lazyLoading(open: () => Promise<Backend>, opts: LazyLoadingOptions = {}): BackendMiddleware {
  let engine: Promise<Backend> | undefined;
  const load = (): Promise<Backend> => {
    if (engine === undefined) {
      opts.onLoad?.();
      engine = open().then(async (b) => {
        const want = opts.expect;
        if (want !== undefined && !sameIdentity(want, b.identity)) {
          await b.close();
          throw new ModelmapError(
            "internal",
            `model ${want.id}: the engine reports identity ${JSON.stringify(b.identity)}, expected ${JSON.stringify(want)}`,
          );
        }
        return b;
      });
    }
    return engine;
  };
  const need = <T>(b: Backend, f: T | undefined, what: string): T => {
    if (f === undefined)
      throw new ModelmapError(
        "unsupported",
        `model ${b.identity.id}: the ${b.identity.backend} backend cannot ${what}`,
      );
    return f;
  };
  const provides = new Set(opts.provides ?? []);
  const mw: BackendMiddleware = {
    generate: async (_next, input, params, o) => (await load()).generate(input, params, o),
    loglikelihood: async (_next, requests, o) => (await load()).loglikelihood(requests, o),
    loglikelihoodRolling: async (_next, texts, o) => (await load()).loglikelihoodRolling(texts, o),
    close: async () => {
      const open = engine;
      engine = undefined;
      // An engine that failed to open has nothing to close; its error was reported to the call that needed it.
      if (open !== undefined)
        await open.then(
          (b) => b.close(),
          () => undefined,
        );
    },
  };
  if (provides.has("tokenize"))
    mw.tokenize = async (_next, text, o) => {
      const b = await load();
      return need(b, b.tokenize, "tokenize").call(b, text, o);
    };
  if (provides.has("detokenize"))
    mw.detokenize = async (_next, tokens, o) => {
      const b = await load();
      return need(b, b.detokenize, "detokenize").call(b, tokens, o);
    };
  if (provides.has("promptLogprobs"))
    mw.promptLogprobs = async (_next, text, o) => {
      const b = await load();
      return need(b, b.promptLogprobs, "score prompt tokens").call(b, text, o);
    };
  if (provides.has("renderChat"))
    mw.renderChat = async (_next, messages, o) => {
      const b = await load();
      return need(b, b.renderChat, "render chat").call(b, messages, o);
    };
  if (provides.has("listModels"))
    mw.listModels = async (_next, o) => {
      const b = await load();
      return need(b, b.listModels, "list models").call(b, o);
    };
  return mw;
}

function sameIdentity(a: ModelIdentity, b: ModelIdentity): boolean {
  return a.id === b.id && a.backend === b.backend && a.name === b.name && a.fileSha256 === b.fileSha256;
}

/** The model's generation defaults from the config, under each call's own parameters. */
export function generationDefaults(defaults: GenerationParams): BackendMiddleware {
  return { generate: (next, input, params, o) => next(input, { ...defaults, ...params }, o) };
}

/**
 * How the chat template is applied:
 * - engine: the engine renders through the callback it was opened with (llama-cpp); this layer only says how;
 * - text: rendered here and sent as a prompt string without a leading BOS (servers add their own), with the
 *   template's stop strings; what was sent comes back as promptAsSent;
 * - server: messages go to the server, which applies its own template (the system prompt is still applied here).
 */
export type PromptingMode = "engine" | "text" | "server";

export function provenanceOf(p: ModelPrompting): BackendProvenance {
  return {
    templateSource: p.template?.source ?? "server",
    templateName: p.template?.name,
    templateHash: p.template?.hash,
    systemPromptSource: p.systemPrompt.source,
    systemPromptHash: p.systemPrompt.hash,
  };
}

/** Applies the model's system prompt and chat template, and records them as the backend's provenance. */
export function prompting(
  setup: ModelPrompting,
  opts: { mode: PromptingMode; modelId: string; now?: Date | undefined },
): BackendMiddleware {
  const { mode, modelId } = opts;
  const clock = opts.now ? { now: opts.now } : {};
  return {
    describe: (d) => ({ ...d, capabilities: { ...d.capabilities, chat: true }, provenance: provenanceOf(setup) }),
    async generate(next, input, params, o) {
      if (typeof input === "string" || mode === "engine") return next(input, params, o);
      const p = promptForModel(setup, input, { addGenerationPrompt: true, ...clock });
      if (p.kind === "server") return next(p.messages, params, o);
      const r = await next(p.textWithoutBos, withStops(params, p.stop), o);
      return { ...r, promptAsSent: p.text };
    },
    async renderChat(next, messages, o = {}) {
      if (mode === "engine" && next) return next(messages, o);
      const p = promptForModel(setup, messages, { addGenerationPrompt: o.addGenerationPrompt ?? true, ...clock });
      if (p.kind === "server")
        throw new ModelmapError("unsupported", `model ${modelId}: the server applies its own chat template`, {
          hint: "set template.name or template.path in modelmap.yaml to render prompts client-side",
        });
      return p.textWithoutBos;
    },
  };
}

/** The template's stop strings after the caller's own, each once. */
function withStops(params: GenerationParams, extra: readonly string[]): GenerationParams {
  const own = params.stop ?? [];
  const stop = [...own, ...extra.filter((s) => !own.includes(s))];
  return stop.length > 0 ? { ...params, stop } : params;
}
