import type { Command } from "./command.ts";
import { AB_COMMANDS } from "./commands/ab.ts";
import { ARENA_COMMANDS } from "./commands/arena.ts";
import { CAPMAP_COMMANDS } from "./commands/capmap.ts";
import { contaminationCommand } from "./commands/contamination.ts";
import { evalCommand } from "./commands/eval.ts";
import { JUDGE_ANALYSIS_COMMANDS } from "./commands/judge-analysis.ts";
import { JUDGING_COMMANDS } from "./commands/judging.ts";
import { LABEL_COMMANDS } from "./commands/label.ts";
import { META_COMMANDS } from "./commands/meta.ts";
import { MODELS_COMMANDS } from "./commands/models.ts";
import { RUNS_COMMANDS } from "./commands/runs.ts";
import { scoreCommand } from "./commands/score.ts";
import { sensitivityCommand } from "./commands/sensitivity.ts";
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
  contaminationCommand,
  sensitivityCommand,
  ...AB_COMMANDS,
  ...META_COMMANDS,
];

export interface FoundCommand {
  command: Command;
  /** How many leading arguments named it. */
  words: number;
  /** The old spelling that named it, when it was one. */
  deprecatedName?: string;
}

export function findCommand(argv: string[]): FoundCommand | undefined {
  let best: FoundCommand | undefined;
  for (const command of COMMANDS) {
    for (const name of [command.name, ...(command.deprecatedNames ?? [])]) {
      const words = name.split(" ");
      if (words.length > argv.length || !words.every((w, i) => argv[i] === w)) continue;
      if (best && words.length <= best.words) continue;
      best = { command, words: words.length, ...(name === command.name ? {} : { deprecatedName: name }) };
    }
  }
  return best;
}

/** The one-line notice an old spelling prints on stderr. */
export function deprecationNotice(found: FoundCommand): string | undefined {
  if (found.deprecatedName === undefined) return undefined;
  return `modelmap: '${found.deprecatedName}' is deprecated and goes away in the next release; use 'modelmap ${found.command.name}'\n`;
}

export function helpText(topic: string[]): string {
  if (topic.length > 0) {
    const found = findCommand(topic);
    if (found) return `${found.command.usage.trimEnd()}\n`;
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  const renamed = COMMANDS.flatMap((c) =>
    (c.deprecatedNames ?? []).map((old) => `  ${old.padEnd(width)}  now '${c.name}'`),
  );
  return [
    "modelmap: evaluate open language models and map what each one is good at",
    "",
    "usage: modelmap [--db FILE] COMMAND [options]",
    "",
    "commands:",
    ...lines,
    "",
    ...(renamed.length
      ? ["renamed (the old names still work in this release, with a notice on stderr):", ...renamed, ""]
      : []),
    "global options:",
    "  --db FILE   SQLite database (default: $MODELMAP_DB or ./modelmap.db)",
    "",
    "Run 'modelmap help COMMAND' for a command's options.",
    "",
  ].join("\n");
}
