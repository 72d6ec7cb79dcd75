import type { Command } from "./command.ts";
import { ARENA_COMMANDS } from "./commands/arena.ts";
import { CAPMAP_COMMANDS } from "./commands/capmap.ts";
import { CHECK_COMMANDS } from "./commands/contamination.ts";
import { evalCommand } from "./commands/eval.ts";
import { JUDGE_ANALYSIS_COMMANDS } from "./commands/judge-analysis.ts";
import { JUDGING_COMMANDS } from "./commands/judging.ts";
import { LABEL_COMMANDS } from "./commands/label.ts";
import { MODELS_COMMANDS } from "./commands/models.ts";
import { RUNS_COMMANDS } from "./commands/runs.ts";
import { scoreCommand } from "./commands/score.ts";
import { serveCommand } from "./commands/serve.ts";
import { serveModelCommand } from "./commands/serve-model.ts";
import { START_COMMANDS } from "./commands/start.ts";
import { TASKS_COMMANDS } from "./commands/tasks.ts";
import { TEMPLATE_COMMANDS } from "./commands/template.ts";

/**
 * Every CLI command, in the order `modelmap help` lists them. Each feature adds its commands from its own
 * file under `commands/`; this list is the only place that knows them all.
 */
export const COMMANDS: Command[] = [
  ...START_COMMANDS,
  serveCommand,
  ...ARENA_COMMANDS,
  serveModelCommand,
  ...MODELS_COMMANDS,
  ...TEMPLATE_COMMANDS,
  ...CAPMAP_COMMANDS,
  ...JUDGING_COMMANDS,
  ...JUDGE_ANALYSIS_COMMANDS,
  ...LABEL_COMMANDS,
  evalCommand,
  scoreCommand,
  ...TASKS_COMMANDS,
  ...RUNS_COMMANDS,
  ...CHECK_COMMANDS,
];

export function findCommand(argv: string[]): { command: Command; words: number } | undefined {
  let best: { command: Command; words: number } | undefined;
  for (const c of COMMANDS) {
    const words = c.name.split(" ");
    if (words.length > argv.length) continue;
    if (words.every((w, i) => argv[i] === w) && (!best || words.length > best.words))
      best = { command: c, words: words.length };
  }
  return best;
}

export function helpText(topic: string[]): string {
  if (topic.length > 0) {
    const found = findCommand(topic);
    if (found) return `${found.command.usage.trimEnd()}\n`;
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "modelmap: evaluate open language models and map what each one is good at",
    "",
    "usage: modelmap [--db FILE] COMMAND [options]",
    "",
    "commands:",
    ...lines,
    "",
    "global options:",
    "  --db FILE   SQLite database (default: $MODELMAP_DB or ./modelmap.db)",
    "",
    "Run 'modelmap help COMMAND' for a command's options.",
    "",
  ].join("\n");
}
