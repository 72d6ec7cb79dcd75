/**
 * Named prompt variants for sensitivity reports. A variant changes either the prompting options (chat template,
 * system prompt, few-shot as one block or as turns) or the task's format (choice labels, answer delimiter); the
 * rest of the task is untouched, so differences between variants are differences of format alone.
 */
import { ModelmapError } from "../core/errors.ts";
import { hashOf } from "../core/hash.ts";
import type { PromptOptions } from "../tasks/instance.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import type { TaskConfig } from "../tasks/schema.ts";

export interface VariantSpec {
  name: string;
  /** Partial prompt options applied over the baseline (chat template off, no system prompt, one block). */
  prompt: Partial<PromptOptions>;
  /** Rewrites the task config (labels, delimiter), or undefined. */
  task?: (cfg: TaskConfig) => TaskConfig;
}

/** Built-in system prompt presets (the config's system_prompts and the model's default add to them). */
export const SYSTEM_PRESETS: Record<string, string> = {
  helpful: "You are a helpful assistant.",
  concise: "You are an expert. Answer with the correct option only.",
};

export const DEFAULT_VARIANTS = [
  "chat:off",
  "chat:on",
  "system:helpful",
  "labels:A.",
  "labels:(A)",
  "labels:1.",
  "delimiter:newline",
];

const LABELS: Record<string, { show: (i: number) => string; answer: (i: number) => string }> = {
  "A.": { show: (i) => `${String.fromCharCode(65 + i)}.`, answer: (i) => String.fromCharCode(65 + i) },
  "(A)": { show: (i) => `(${String.fromCharCode(65 + i)})`, answer: (i) => `(${String.fromCharCode(65 + i)})` },
  "1.": { show: (i) => `${i + 1}.`, answer: (i) => String(i + 1) },
};

const DELIMITERS: Record<string, string> = { space: " ", newline: "\n", none: "" };

/**
 * Lists the choices with labels before the final "Answer:" and scores the labels instead of the choice texts
 * (the MMLU format). Needs a multiple-choice task whose doc_to_choice is a field name and whose doc_to_text
 * ends with a cue line; other tasks cannot be relabelled without guessing and are refused.
 */
function relabel(style: string): (cfg: TaskConfig) => TaskConfig {
  const l = LABELS[style];
  if (!l) throw new ModelmapError("usage", `unknown label style '${style}' (A., (A), 1.)`);
  return (cfg) => {
    const field = cfg.doc_to_choice;
    const text = cfg.doc_to_text;
    if (cfg.output_type !== "multiple_choice" || typeof field !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field))
      throw new ModelmapError(
        "unsupported",
        `labels:${style} needs a multiple-choice task whose doc_to_choice is a field name`,
      );
    if (typeof text !== "string")
      throw new ModelmapError("unsupported", `labels:${style} needs a doc_to_text template`);
    const cut = text.lastIndexOf("\n");
    const head = cut >= 0 ? text.slice(0, cut) : text;
    const cue = cut >= 0 ? text.slice(cut + 1) : "Answer:";
    const shows = Array.from({ length: 26 }, (_, i) => JSON.stringify(l.show(i))).join(", ");
    const answers = Array.from({ length: 26 }, (_, i) => l.answer(i));
    return {
      ...cfg,
      doc_to_text: `${head}{% set labels = [${shows}] %}{% for c in ${field} %}{{ "\n" ~ labels[loop.index0] ~ " " ~ c }}{% endfor %}{{ "\n" }}${cue}`,
      doc_to_choice: `{{ ${JSON.stringify(answers)}[:${field}|length]|tojson }}`,
    };
  };
}

/** Parses a variant name into its spec; `system` maps preset names (and "default") to texts. */
export function parseVariant(name: string, system: Record<string, string>): VariantSpec {
  const [kind, arg] = [name.slice(0, name.indexOf(":")), name.slice(name.indexOf(":") + 1)];
  switch (kind) {
    case "chat":
      if (arg !== "on" && arg !== "off") break;
      return { name, prompt: { chatTemplate: arg === "on" } };
    case "system": {
      if (arg === "none") return { name, prompt: { chatTemplate: true } };
      const text = system[arg];
      if (text === undefined)
        throw new ModelmapError("usage", `sensitivity: unknown system prompt '${arg}'`, {
          hint: `known: none, ${Object.keys(system).join(", ")}`,
        });
      return { name, prompt: { chatTemplate: true, systemPrompt: text } };
    }
    case "fewshot":
      if (arg !== "block" && arg !== "turns") break;
      return { name, prompt: { chatTemplate: true, fewshotAsMultiturn: arg === "turns" } };
    case "labels":
      return { name, prompt: {}, task: relabel(arg) };
    case "delimiter": {
      const d = DELIMITERS[arg];
      if (d === undefined) break;
      return { name, prompt: {}, task: (cfg) => ({ ...cfg, target_delimiter: d }) };
    }
  }
  throw new ModelmapError("usage", `sensitivity: unknown variant '${name}'`, {
    hint: "chat:on|off, system:none|default|PRESET, fewshot:block|turns, labels:A.|(A)|1., delimiter:space|newline|none",
  });
}

/** The task as the variant sees it: same name, a config hash of its own (so runs and caches differ). */
export function variantTask(task: LoadedTask, v: VariantSpec): LoadedTask {
  if (!v.task) return task;
  const config = v.task(task.config);
  return { ...task, config, hash: hashOf(config) };
}
