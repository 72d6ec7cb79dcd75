/**
 * The schema of modelmap.yaml: the single source of the config types and of the JSON Schema editors use
 * (schema/modelmap.schema.json, written by `modelmap config schema`). Every object is strict so that a
 * misspelt key is an error with a line number, not a silently ignored setting.
 */
import { z } from "zod";
import { NAMED_TEMPLATES, namedTemplateNames } from "../templates/named.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HttpUrl = z.url({ protocol: /^https?$/ });

export const TemplateConfigSchema = z
  .strictObject({
    source: z
      .enum(["auto", "gguf", "tokenizer_config", "named", "none"])
      .default("auto")
      .describe(
        "Where the chat template comes from. auto: the GGUF's own, else tokenizer_config at `path`, else the named template `name`, else none (plain completion; for openai models: the server's own template).",
      ),
    name: z
      .string()
      .min(1)
      .optional()
      .describe(
        `A named template (${namedTemplateNames().join(", ")}), or the entry of a tokenizer_config chat_template list (default "default").`,
      ),
    path: z.string().min(1).optional().describe("A tokenizer_config.json, or the directory holding one."),
  })
  .describe("Chat template selection");

export const SystemPromptConfigSchema = z
  .union([
    z.strictObject({
      preset: z
        .string()
        .min(1)
        .describe(
          "none (no system message: the Open LLM Leaderboard's choice), default (the model's default_system_prompt), or a name from system_prompts",
        ),
    }),
    z.strictObject({ text: z.string().describe("A custom system prompt") }),
  ])
  .describe("System prompt: a preset or a custom text");

export const GenerationConfigSchema = z
  .strictObject({
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(10).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().min(0).optional(),
    min_p: z.number().min(0).max(1).optional(),
    repeat_penalty: z.number().positive().optional(),
    seed: z.number().int().optional(),
    stop: z.array(z.string().min(1)).optional(),
  })
  .describe("Default generation parameters (a task or run may override them)");

export const MetadataSchema = z
  .strictObject({
    parameters: z.number().positive().optional().describe("Parameter count in billions (e.g. 7.24)"),
    license: z.string().min(1).optional(),
    base_model: z.string().min(1).optional(),
    tags: z.array(z.string().min(1)).optional(),
    instruct: z.boolean().optional().describe("Instruction/chat tuned (true) or a base model (false)"),
  })
  .describe("What is known about the model");

export const ModelConfigSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/, "letters, digits and . _ : / @ + - (no spaces)")
      .describe("modelmap's name for the model, unique in the file"),
    backend: z
      .enum(["openai", "llama-cpp"])
      .describe("openai: an OpenAI-compatible server; llama-cpp: a GGUF file in-process"),
    endpoints: z
      .union([HttpUrl, z.array(HttpUrl).min(1)])
      .optional()
      .describe("openai: base URL(s) ending in /v1; requests are balanced over several"),
    file: z.string().min(1).optional().describe("llama-cpp: path of the GGUF file (relative to this config file)"),
    model: z.string().min(1).optional().describe("openai: the model name the server serves (default: id)"),
    api_key_env: z
      .string()
      .regex(ENV_NAME, "an environment variable name")
      .optional()
      .describe("openai: name of the environment variable holding the API key"),
    template: TemplateConfigSchema.optional(),
    system_prompt: SystemPromptConfigSchema.optional(),
    default_system_prompt: z
      .string()
      .optional()
      .describe("The model's own recommended system prompt (preset: default)"),
    generation: GenerationConfigSchema.optional(),
    concurrency: z.number().int().min(1).max(4096).optional().describe("Requests in flight at once"),
    timeout_ms: z.number().int().positive().optional().describe("Per request attempt"),
    max_retries: z.number().int().min(0).max(100).optional(),
    context_size: z.number().int().min(16).optional().describe("llama-cpp: context length in tokens"),
    gpu: z.boolean().optional().describe("llama-cpp: use a GPU when one is present (default: CPU)"),
    threads: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe("llama-cpp: CPU threads (default: the engine's choice)"),
    cpu_variant: z
      .string()
      .min(1)
      .optional()
      .describe(
        "llama-cpp: the engine's ggml CPU variant: auto (AVX2 below embedding width 128, else ggml's choice), ggml, or a shipped variant such as haswell (default: MODELMAP_LLAMA_CPU_VARIANT, else auto)",
      ),
    metadata: MetadataSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.backend === "openai") {
      if (m.endpoints === undefined)
        ctx.addIssue({ code: "custom", path: ["endpoints"], message: "an openai model needs endpoints (base URLs)" });
      if (m.file !== undefined)
        ctx.addIssue({ code: "custom", path: ["file"], message: "file is for llama-cpp models; use endpoints" });
      for (const k of ["context_size", "gpu", "threads", "cpu_variant"] as const)
        if (m[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: `${k} is for llama-cpp models` });
    } else {
      if (m.file === undefined)
        ctx.addIssue({ code: "custom", path: ["file"], message: "a llama-cpp model needs file (a GGUF path)" });
      for (const k of ["endpoints", "api_key_env", "model"] as const)
        if (m[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: `${k} is for openai models` });
    }
    if (m.template?.source === "named" && !m.template.name)
      ctx.addIssue({ code: "custom", path: ["template", "name"], message: "source named needs a template name" });
    if (m.template?.name !== undefined && !NAMED_TEMPLATES.has(m.template.name))
      ctx.addIssue({
        code: "custom",
        path: ["template", "name"],
        message: `unknown named template '${m.template.name}' (named templates: ${namedTemplateNames().join(", ")})`,
      });
    // The usual slip is a server's root URL: every OpenAI-compatible server modelmap knows serves under /v1.
    const urls = m.endpoints === undefined ? [] : Array.isArray(m.endpoints) ? m.endpoints : [m.endpoints];
    urls.forEach((u, i) => {
      let path: string;
      try {
        path = new URL(u).pathname;
      } catch {
        return;
      }
      if (path === "" || path === "/")
        ctx.addIssue({
          code: "custom",
          path: Array.isArray(m.endpoints) ? ["endpoints", i] : ["endpoints"],
          message: `'${u}' has no path: a base URL ends in /v1 (e.g. ${u.replace(/\/+$/, "")}/v1)`,
        });
    });
    if (m.template?.source === "tokenizer_config" && !m.template.path)
      ctx.addIssue({ code: "custom", path: ["template", "path"], message: "source tokenizer_config needs a path" });
    if (m.template?.source === "gguf" && m.backend !== "llama-cpp")
      ctx.addIssue({ code: "custom", path: ["template", "source"], message: "source gguf needs a llama-cpp model" });
  });

export const ConfigSchema = z
  .strictObject({
    data_dir: z
      .string()
      .min(1)
      .optional()
      .describe("Where benchmark datasets live, relative to the config file (the same as eval --data-dir)"),
    system_prompts: z
      .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/), z.string())
      .optional()
      .describe("Named system prompts, used with system_prompt: {preset: NAME}"),
    models: z.array(ModelConfigSchema).describe("The models modelmap can evaluate"),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.models.forEach((m, i) => {
      if (seen.has(m.id))
        ctx.addIssue({ code: "custom", path: ["models", i, "id"], message: `duplicate model id '${m.id}'` });
      seen.add(m.id);
      const p = m.system_prompt;
      if (
        p &&
        "preset" in p &&
        p.preset !== "none" &&
        p.preset !== "default" &&
        !(c.system_prompts && p.preset in c.system_prompts)
      )
        ctx.addIssue({
          code: "custom",
          path: ["models", i, "system_prompt", "preset"],
          message: `unknown preset '${p.preset}' (none, default${Object.keys(c.system_prompts ?? {})
            .map((k) => `, ${k}`)
            .join("")})`,
        });
    });
  });

export type Config = z.output<typeof ConfigSchema>;
export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type TemplateConfig = z.output<typeof TemplateConfigSchema>;

/** The JSON Schema of modelmap.yaml (what editors validate against). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: "modelmap.yaml",
    ...schema,
  };
}

/** Base URLs of an openai model as a list. */
export function endpointsOf(m: ModelConfig): string[] {
  return m.endpoints === undefined ? [] : Array.isArray(m.endpoints) ? m.endpoints : [m.endpoints];
}
