import { resolve } from "node:path";
import { ModelmapError } from "../../core/errors.ts";
import { IFEVAL_TASKS, type ScoreOutcome, scoreResponses } from "../../runner/score-responses.ts";
import { loadRegistry, resolveDataDir } from "../../runner/service.ts";
import { type Command, parseFlags, requireString } from "../command.ts";

const USAGE = `usage: modelmap score --task TASK --responses FILE.jsonl [--format table|json|jsonl]
                      [--data-dir DIR] [--docs FILE] [--tasks-dir DIR]...

Scores responses generated elsewhere with the task's own filters and metrics, without a model.
FILE.jsonl has one object per document with its "response" and the document's key:
  ${IFEVAL_TASKS.join(", ")}: "key" (the prompt's key) or "prompt" (its exact text)
  other generation tasks: "doc_id" (the document's index in the task's evaluated split)
A line that cannot be read or joined stops the command (exit 2) before anything is written.

  --format table   the aggregated metrics (default)
  --format json    the aggregated metrics as JSON
  --format jsonl   one line per document; for IFEval: key, prompt, and follow_all_instructions and
                   follow_instruction_list under "strict" and "loose"
  --data-dir DIR   where datasets are (default: $MODELMAP_DATA_DIR, ../shared/data, ./data)
  --docs FILE      IFEval's prompts (default: DATA_DIR/ifeval/input_data.jsonl)`;

function documentLine(task: string, d: ScoreOutcome["documents"][number]): Record<string, unknown> {
  if (!(IFEVAL_TASKS as readonly string[]).includes(task)) return { ...d.id, ...d.metrics };
  const m = d.metrics;
  return {
    ...d.id,
    strict: {
      follow_all_instructions: m["prompt_level_strict_acc"],
      follow_instruction_list: m["inst_level_strict_acc"],
    },
    loose: { follow_all_instructions: m["prompt_level_loose_acc"], follow_instruction_list: m["inst_level_loose_acc"] },
  };
}

export const scoreCommand: Command = {
  name: "score",
  summary: "score responses generated elsewhere with a task's metrics (no model)",
  usage: USAGE,
  async run(argv, ctx) {
    const { values } = parseFlags(
      "score",
      argv,
      {
        task: { type: "string" },
        responses: { type: "string" },
        format: { type: "string" },
        "data-dir": { type: "string" },
        docs: { type: "string" },
        "tasks-dir": { type: "string", multiple: true },
      },
      false,
    );
    const task = requireString("score", values.task, "--task");
    const responsesFile = resolve(ctx.cwd, requireString("score", values.responses, "--responses"));
    const format = values.format ?? "table";
    if (format !== "table" && format !== "json" && format !== "jsonl")
      throw new ModelmapError("usage", `score: --format expects table, json or jsonl, got '${format}'`);
    const outcome = await scoreResponses({
      task,
      responsesFile,
      dataDir: resolveDataDir(ctx.cwd, values["data-dir"], undefined, ctx.env),
      ...(values.docs ? { docsFile: resolve(ctx.cwd, values.docs) } : {}),
      registry: () => loadRegistry(values["tasks-dir"] ?? []),
    });
    if (format === "jsonl") {
      ctx.stdout.write(outcome.documents.map((d) => `${JSON.stringify(documentLine(task, d))}\n`).join(""));
    } else if (format === "json") {
      ctx.stdout.write(
        `${JSON.stringify({ task: outcome.task, documents: outcome.documents.length, results: outcome.results }, null, 2)}\n`,
      );
    } else {
      const rows = Object.entries(outcome.results);
      const width = Math.max(...rows.map(([k]) => k.length));
      ctx.stdout.write(`${outcome.task}: ${outcome.documents.length} documents\n`);
      for (const [k, v] of rows) ctx.stdout.write(`  ${k.padEnd(width)}  ${v.toFixed(4)}\n`);
    }
    return 0;
  },
};
