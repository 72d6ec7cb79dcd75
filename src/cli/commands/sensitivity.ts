import type { Backend } from "../../backends/types.ts";
import { ModelmapError } from "../../core/errors.ts";
import { pText } from "../../core/format.ts";
import { createProgress, SILENT_PROGRESS } from "../../runner/progress.ts";
import { loadRegistry, resolveDataDir } from "../../runner/service.ts";
import { runSensitivity, type SensitivityReport } from "../../sensitivity/service.ts";
import { DEFAULT_VARIANTS, parseVariant, SYSTEM_PRESETS } from "../../sensitivity/variants.ts";
import { type Command, parseFlags, parseNumberFlag, textOrJson } from "../command.ts";
import { optionalConfig } from "../config.ts";
import { type CommandConfig, f, openCheckModel } from "./contamination.ts";

const SENS_USAGE = `usage: modelmap sensitivity (--model ID[,ID...] | --gguf FILE[,FILE...]) --task T [options]

Runs a task under named prompt variants (through the harness: cached, resumable) and reports each variant's score
with its standard error, the spread (min, max, sd), which variants differ significantly from the first (paired
over the same items: McNemar, or a paired bootstrap for non-binary scores), and with several models the rank
stability (Kendall's tau between rankings under each pair of variants). Stored per model and task.
  --model IDS            configured model ids, comma-separated
  --gguf FILES           ad-hoc GGUF files, comma-separated
  --task T               one task name
  --variants LIST        comma-separated (default: ${"chat:off,chat:on,system:helpful,labels:A.,labels:(A),labels:1.,delimiter:newline"})
                         chat:on|off  system:none|default|helpful|concise|NAME (config system_prompts)
                         fewshot:block|turns  labels:A.|(A)|1.  delimiter:space|newline|none
  --limit N              only the first N documents
  --num-fewshot N        override the task's num_fewshot
  --seed N               seed (default 1234)
  --threads N            CPU threads for --gguf
  --config FILE          modelmap.yaml
  --data-dir DIR         where datasets are
  --tasks-dir DIR        extra directory of task YAMLs (repeatable)
  --format text|json     output format (default text)
  --quiet                no progress output`;

export function sensitivityText(r: SensitivityReport): string {
  const lines: string[] = [];
  for (const m of r.models) {
    lines.push(
      `${m.model} on ${m.task}: spread ${f(m.spread.min, 3)}..${f(m.spread.max, 3)} (range ${f(m.spread.range, 3)}, sd ${f(m.spread.sd, 3)})`,
    );
    for (const v of m.variants) {
      if (v.error !== undefined) {
        lines.push(`  ${v.variant.padEnd(20)} error: ${v.error}`);
        continue;
      }
      const vs = v.vsBaseline
        ? `  vs first ${v.vsBaseline.diff >= 0 ? "+" : ""}${f(v.vsBaseline.diff, 3)} ${pText(v.vsBaseline.pValue)}${v.vsBaseline.significant ? " *" : ""}`
        : "  (baseline)";
      lines.push(`  ${v.variant.padEnd(20)} ${f(v.score, 4)} ± ${f(v.stderr, 4)}  n=${v.n}${vs}`);
    }
  }
  if (r.rankStability)
    lines.push(
      `rank stability: mean Kendall tau ${f(r.rankStability.meanTau, 3)} over ${r.rankStability.pairs.length} variant pairs`,
    );
  return `${lines.join("\n")}\n`;
}

export const sensitivityCommand: Command = {
  name: "sensitivity",
  summary: "prompt-sensitivity report: scores under template/system/few-shot/label/delimiter variants",
  usage: SENS_USAGE,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "sensitivity",
      argv,
      {
        model: { type: "string" },
        gguf: { type: "string" },
        task: { type: "string" },
        variants: { type: "string" },
        limit: { type: "string" },
        "num-fewshot": { type: "string" },
        seed: { type: "string" },
        threads: { type: "string" },
        config: { type: "string" },
        "data-dir": { type: "string" },
        "tasks-dir": { type: "string", multiple: true },
        format: { type: "string" },
        quiet: { type: "boolean" },
      },
      false,
    );
    const format = textOrJson("sensitivity", values.format);
    const taskName = values.task;
    if (!taskName) throw new ModelmapError("usage", "sensitivity: --task is required");
    const ids = (values.model ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s);
    const files = (values.gguf ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s);
    if (ids.length + files.length === 0)
      throw new ModelmapError("usage", "sensitivity: give --model IDS or --gguf FILES");
    const limit = parseNumberFlag("sensitivity", "--limit", values.limit, { int: true, min: 1 });
    const numFewshot = parseNumberFlag("sensitivity", "--num-fewshot", values["num-fewshot"], { int: true, min: 0 });
    const seed = parseNumberFlag("sensitivity", "--seed", values.seed, { int: true }) ?? 1234;
    const variants = values.variants
      ? values.variants
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s)
      : DEFAULT_VARIANTS;
    const reg = loadRegistry(values["tasks-dir"] ?? []);
    const tasks = reg.resolve([taskName]).tasks;
    const task = tasks[0];
    if (!task || tasks.length !== 1)
      throw new ModelmapError("usage", `sensitivity: --task names one task ('${taskName}' is ${tasks.length})`);
    const loaded = optionalConfig(ctx, values.config);
    const config: CommandConfig = { loaded, flag: values.config };
    const systemPrompts = { ...SYSTEM_PRESETS, ...(loaded?.config.system_prompts ?? {}) };
    // Validate every variant before opening any model.
    for (const v of variants) parseVariant(v, { ...systemPrompts, default: "" });
    const dataDir = resolveDataDir(ctx.cwd, values["data-dir"], loaded?.config.data_dir, ctx.env);
    const opened: Array<{ id: string; backend: Backend; systemPrompts?: Record<string, string> }> = [];
    try {
      for (const id of ids) {
        const m = await openCheckModel({ model: id }, config, ctx);
        const def = loaded?.config.models.find((x) => x.id === id)?.default_system_prompt;
        opened.push({
          id: m.modelId,
          backend: m.backend,
          ...(def !== undefined ? { systemPrompts: { default: def } } : {}),
        });
      }
      for (const g of files) {
        // With the GGUF's own chat template, as `models check` reports it: the chat:on variant needs it.
        const m = await openCheckModel({ gguf: g, threads: values.threads, chatTemplate: true }, config, ctx);
        opened.push({ id: m.modelId, backend: m.backend });
      }
      const report = await runSensitivity(await ctx.store(), opened, {
        task,
        dataDir,
        variants,
        systemPrompts,
        seed,
        signal: ctx.signal,
        progress: values.quiet ? SILENT_PROGRESS : createProgress(ctx.stderr),
        ...(limit !== undefined ? { limit } : {}),
        ...(numFewshot !== undefined ? { numFewshot } : {}),
      });
      ctx.stdout.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : sensitivityText(report));
      return 0;
    } finally {
      for (const m of opened) await m.backend.close();
    }
  },
};
