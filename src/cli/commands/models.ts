import { resolve } from "node:path";
import { findModel, type LoadedConfig } from "../../config/load.ts";
import { configJsonSchema, endpointsOf, type ModelConfig } from "../../config/schema.ts";
import { ModelmapError } from "../../core/errors.ts";
import { writeUserFile } from "../../core/files.ts";
import { checkModel } from "../../models/check.ts";
import { resolveModelPrompting } from "../../models/prompting.ts";
import { type CliContext, type Command, parseFlags } from "../command.ts";
import { requireConfig } from "../config.ts";

const CONFIG_FLAG = "  --config FILE   modelmap.yaml (default: $MODELMAP_CONFIG or ./modelmap.yaml)";

function load(values: { config?: string | undefined }, ctx: CliContext): LoadedConfig {
  return requireConfig(ctx, values.config);
}

function where(m: ModelConfig): string {
  return m.backend === "openai" ? endpointsOf(m).join(",") : (m.file ?? "");
}

function templateOf(m: ModelConfig): string {
  const t = m.template ?? { source: "auto" };
  return t.name ? `${t.source}:${t.name}` : t.source;
}

const listCommand: Command = {
  name: "models list",
  summary: "list the models in modelmap.yaml",
  usage: `usage: modelmap models list [--json] [--config FILE]

Lists the configured models: id, backend, endpoint(s) or file, template source, parameters, licence, tags.
  --json          print the models as JSON
${CONFIG_FLAG}`,
  run(argv, ctx) {
    const { values } = parseFlags(
      "models list",
      argv,
      { json: { type: "boolean" }, config: { type: "string" } },
      false,
    );
    const loaded = load(values, ctx);
    const models = loaded.config.models;
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return 0;
    }
    if (models.length === 0) {
      ctx.stdout.write(`no models in ${loaded.file}\n`);
      return 0;
    }
    const rows = models.map((m) => [
      m.id,
      m.backend,
      where(m),
      templateOf(m),
      m.metadata?.parameters !== undefined ? `${m.metadata.parameters}B` : "",
      m.metadata?.license ?? "",
      (m.metadata?.tags ?? []).join(","),
    ]);
    const head = ["ID", "BACKEND", "WHERE", "TEMPLATE", "PARAMS", "LICENSE", "TAGS"];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    for (const r of [head, ...rows])
      ctx.stdout.write(
        `${r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd()}\n`,
      );
    return 0;
  },
};

const showCommand: Command = {
  name: "models show",
  summary: "show one model's configuration, template and system prompt",
  usage: `usage: modelmap models show ID [--json] [--config FILE]

Prints the model's configuration and how it is prompted: the chat template chosen (source, name, sha256) and
the system prompt (source, sha256). Reads a GGUF's header for its template; loads no weights, calls no server.
  --json          print JSON
${CONFIG_FLAG}`,
  run(argv, ctx) {
    const { values, positionals } = parseFlags("models show", argv, {
      json: { type: "boolean" },
      config: { type: "string" },
    });
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new ModelmapError("usage", "models show: give one model ID");
    const loaded = load(values, ctx);
    const model = findModel(loaded, id);
    const p = resolveModelPrompting(model, { presets: loaded.config.system_prompts });
    const prompting = {
      template: p.template
        ? { source: p.template.source, name: p.template.name, origin: p.template.origin, sha256: p.template.hash }
        : { source: "server", note: "the server applies its own template (/chat/completions)" },
      system_prompt: { source: p.systemPrompt.source, text: p.systemPrompt.text, sha256: p.systemPrompt.hash },
      tokenizer_adds_bos: p.tokenizerAddsBos,
    };
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ ...model, prompting }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `id:             ${model.id}`,
      `backend:        ${model.backend}`,
      model.backend === "openai" ? `endpoints:      ${endpointsOf(model).join(", ")}` : `file:           ${model.file}`,
      ...(model.backend === "openai" ? [`server model:   ${model.model ?? model.id}`] : []),
      `template:       ${prompting.template.source}${p.template?.name ? ` '${p.template.name}'` : ""}${p.template ? ` (${p.template.origin}, sha256 ${p.template.hash.slice(0, 12)})` : " (server-side)"}`,
      `system prompt:  ${p.systemPrompt.source}${p.systemPrompt.text !== undefined ? ` ${JSON.stringify(p.systemPrompt.text)}` : ""}`,
      ...(model.generation ? [`generation:     ${JSON.stringify(model.generation)}`] : []),
      ...(model.metadata ? [`metadata:       ${JSON.stringify(model.metadata)}`] : []),
    ];
    ctx.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};

const checkCommand: Command = {
  name: "models check",
  summary: "check that models are reachable, templated, generate, and score log-likelihoods",
  usage: `usage: modelmap models check [ID] [--json] [--config FILE]

For each model (or just ID): reachable (server lists models / GGUF loads), template found, a short generation
works, log-likelihood supported or not. Exits 1 if any check fails (unsupported log-likelihood is not a failure).
  --json          print the results as JSON
${CONFIG_FLAG}`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("models check", argv, {
      json: { type: "boolean" },
      config: { type: "string" },
    });
    if (positionals.length > 1) throw new ModelmapError("usage", "models check: give at most one model ID");
    const loaded = load(values, ctx);
    const id = positionals[0];
    const models = id === undefined ? loaded.config.models : [findModel(loaded, id)];
    const results = [];
    for (const m of models) {
      const r = await checkModel(loaded, m, { env: ctx.env, signal: ctx.signal });
      results.push(r);
      if (!values.json) {
        ctx.stdout.write(`${r.ok ? "ok  " : "FAIL"} ${r.id} (${r.backend})\n`);
        for (const s of r.steps) ctx.stdout.write(`     ${s.step.padEnd(13)} ${s.status.padEnd(11)} ${s.detail}\n`);
      }
    }
    if (values.json) ctx.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

const schemaCommand: Command = {
  name: "config schema",
  summary: "print (or write) the JSON Schema of modelmap.yaml",
  usage: `usage: modelmap config schema [--out FILE]

Prints the JSON Schema of modelmap.yaml, for editors (e.g. '# yaml-language-server: $schema=schema/modelmap.schema.json').
  --out FILE      write it to FILE instead (the repository keeps schema/modelmap.schema.json)`,
  run(argv, ctx) {
    const { values } = parseFlags("config schema", argv, { out: { type: "string" } }, false);
    const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
    if (values.out !== undefined) {
      writeUserFile(resolve(ctx.cwd, values.out), text, "--out");
      ctx.stderr.write(`wrote ${values.out}\n`);
    } else ctx.stdout.write(text);
    return 0;
  },
};

const configCheckCommand: Command = {
  name: "config check",
  summary: "validate modelmap.yaml",
  usage: `usage: modelmap config check [--config FILE]

Validates the config file (YAML syntax, schema, unknown keys, chat templates parse) without contacting servers.
${CONFIG_FLAG}`,
  run(argv, ctx) {
    const { values } = parseFlags("config check", argv, { config: { type: "string" } }, false);
    const loaded = load(values, ctx);
    loaded.config.models.forEach((m, i) => {
      try {
        resolveModelPrompting(m, { presets: loaded.config.system_prompts });
      } catch (e) {
        // The template or system prompt a model names cannot be had: say which model of which file.
        if (!(e instanceof ModelmapError) || e.location?.field !== undefined) throw e;
        throw new ModelmapError(e.code, `model '${m.id}': ${e.message}`, {
          location: {
            file: loaded.file,
            field: `models[${i}].${/system/i.test(e.message) ? "system_prompt" : "template"}`,
          },
          ...(e.hint ? { hint: e.hint } : {}),
          cause: e,
        });
      }
    });
    ctx.stdout.write(`${loaded.file}: ${loaded.config.models.length} model(s), valid\n`);
    return 0;
  },
};

export const MODELS_COMMANDS: Command[] = [listCommand, showCommand, checkCommand, schemaCommand, configCheckCommand];
