import { resolve } from "node:path";
import { findModel } from "../../config/load.ts";
import { ModelmapError } from "../../core/errors.ts";
import { renderForModel } from "../../models/prompting.ts";
import { readMessagesFile } from "../../templates/messages.ts";
import { NAMED_TEMPLATES } from "../../templates/named.ts";
import type { SystemPromptSpec } from "../../templates/system-prompt.ts";
import { type Command, parseFlags, requireString } from "../command.ts";
import { requireConfig } from "../config.ts";

const renderCommand: Command = {
  name: "template render",
  summary: "print exactly what a configured model sees for a conversation",
  usage: `usage: modelmap template render --model ID --messages FILE [--system TEXT | --system-preset NAME]
                                [--no-generation-prompt] [--json] [--config FILE]

Renders FILE's conversation with the model's chat template and system prompt, and prints the exact text on
stdout (nothing added, no trailing newline); how it was built (template source, hashes, BOS) goes to stderr.
  --model ID               a model in modelmap.yaml
  --messages FILE          JSON list of {role, content}, {"messages": [...]}, or JSONL (one message a line)
  --system TEXT            use this system prompt instead of the model's configured one
  --system-preset NAME     use a preset instead: none, default, or a name from system_prompts
  --no-generation-prompt   do not append the assistant header (to see a finished conversation)
  --json                   print a JSON object: text, addBos, template source/name/hash, system prompt source/hash
  --config FILE            modelmap.yaml (default: $MODELMAP_CONFIG or ./modelmap.yaml)
For an openai model whose template is left to the server (template.source auto, no name/path), the messages
sent to /chat/completions are printed as JSON instead.`,
  run(argv, ctx) {
    const { values } = parseFlags(
      "template render",
      argv,
      {
        model: { type: "string" },
        messages: { type: "string" },
        system: { type: "string" },
        "system-preset": { type: "string" },
        "generation-prompt": { type: "boolean" },
        json: { type: "boolean" },
        config: { type: "string" },
      },
      false,
    );
    const id = requireString("template render", values.model, "--model");
    const file = resolve(ctx.cwd, requireString("template render", values.messages, "--messages"));
    if (values.system !== undefined && values["system-preset"] !== undefined)
      throw new ModelmapError("usage", "template render: give --system or --system-preset, not both");
    let systemPrompt: SystemPromptSpec | undefined;
    if (values.system !== undefined) systemPrompt = { text: values.system };
    else if (values["system-preset"] !== undefined) systemPrompt = { preset: values["system-preset"] };
    const loaded = requireConfig(ctx, values.config);
    const model = findModel(loaded, id);
    const messages = readMessagesFile(file);
    const { prompt, prompting } = renderForModel(model, messages, {
      presets: loaded.config.system_prompts,
      systemPrompt,
      addGenerationPrompt: values["generation-prompt"] !== false,
    });
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify({ model: id, ...prompt }, null, 2)}\n`);
      return 0;
    }
    if (prompt.kind === "server") {
      ctx.stderr.write(
        `# ${id}: the server applies its own chat template; these messages go to /chat/completions (system prompt ${prompt.systemPromptSource})\n`,
      );
      ctx.stdout.write(`${JSON.stringify(prompt.messages, null, 2)}\n`);
      return 0;
    }
    const t = prompting.template;
    const bos = prompt.addBos
      ? "the tokenizer adds BOS before this text"
      : prompt.text !== prompt.textWithoutBos
        ? "BOS written by the template (the engine adds none)"
        : "no BOS";
    ctx.stderr.write(
      `# ${id}: template ${prompt.source}${prompt.templateName ? ` '${prompt.templateName}'` : ""}${t ? ` (${t.origin}, sha256 ${prompt.templateHash.slice(0, 12)})` : ""}; system prompt ${prompt.systemPromptSource} (sha256 ${prompt.systemPromptHash.slice(0, 12)}); ${bos}${prompt.adjustments.length ? `; adjusted: ${prompt.adjustments.join(", ")}` : ""}\n`,
    );
    ctx.stdout.write(prompt.text);
    return 0;
  },
};

const listCommand: Command = {
  name: "template list",
  summary: "list the chat templates modelmap ships",
  usage: `usage: modelmap template list

Lists the named templates (usable as template: {source: named, name: NAME} in modelmap.yaml).`,
  run(argv, ctx) {
    parseFlags("template list", argv, {}, false);
    const width = Math.max(...[...NAMED_TEMPLATES.keys()].map((k) => k.length));
    for (const t of NAMED_TEMPLATES.values()) ctx.stdout.write(`${t.name.padEnd(width)}  ${t.description}\n`);
    return 0;
  },
};

const showCommand: Command = {
  name: "template show",
  summary: "print a named template's Jinja source",
  usage: `usage: modelmap template show NAME

Prints the Jinja source of a named template (see 'modelmap template list').`,
  run(argv, ctx) {
    const { positionals } = parseFlags("template show", argv, {});
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new ModelmapError("usage", "template show: give one template NAME");
    const t = NAMED_TEMPLATES.get(name);
    if (!t)
      throw new ModelmapError("not_found", `unknown named template '${name}'`, {
        hint: `named templates: ${[...NAMED_TEMPLATES.keys()].join(", ")}`,
      });
    ctx.stdout.write(`${t.template}\n`);
    return 0;
  },
};

export const TEMPLATE_COMMANDS: Command[] = [renderCommand, listCommand, showCommand];
