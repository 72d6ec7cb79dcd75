import type { Command } from "./command.ts";

/**
 * What `modelmap help` and the dispatcher need to know about a command before its module is loaded. A command's
 * module (and everything it imports: engines, the web app, the stats) loads only when that command runs or its
 * usage is asked for, so `modelmap help` and any one command start without the rest.
 */
export interface CommandEntry {
  /** One or more words, e.g. "rank" or "votes import". */
  readonly name: string;
  readonly summary: string;
  readonly deprecatedNames?: readonly string[];
  /** Imports the command's module. */
  load(): Promise<Command>;
}

/** The commands one module exports, in help order. */
export interface CommandGroup {
  load(): Promise<readonly Command[]>;
  readonly commands: readonly CommandEntry[];
}

type Described = readonly [name: string, summary: string, deprecatedNames?: readonly string[]];

function group(load: () => Promise<readonly Command[]>, described: readonly Described[]): CommandGroup {
  const commands = described.map(([name, summary, deprecatedNames]): CommandEntry => {
    const entry = {
      name,
      summary,
      async load() {
        const command = (await load()).find((c) => c.name === name);
        if (!command) throw new Error(`internal: command '${name}' is listed in cli/commands.ts but not exported`);
        return command;
      },
    };
    return deprecatedNames ? { ...entry, deprecatedNames } : entry;
  });
  return { load, commands };
}

/**
 * Every CLI command, in the order `modelmap help` lists them, by the module that exports it. The name, summary
 * and old names here repeat the command's own (`commands.test.ts` checks that they agree, and that every command
 * a module exports is listed); this table is the only place that knows them all.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  group(
    () => import("./commands/start.ts").then((m) => m.START_COMMANDS),
    [
      ["start", "offline demo: evaluate the bundled model zoo, rate it, and open the web UI"],
      ["quickstart", "download small real instruct models from Hugging Face and run the start pipeline on them"],
    ],
  ),
  group(
    () => import("./commands/serve.ts").then((m) => [m.serveCommand]),
    [["serve", "start the web UI and JSON API"]],
  ),
  group(
    () => import("./commands/votes.ts").then((m) => [m.votesImportCommand, m.votesListCommand, m.votesExportCommand]),
    [
      ["votes import", "store pairwise votes from LMSYS battle files or threeclass files under a source name"],
      ["votes list", "list stored vote sources with their vote counts"],
      ["votes export", "write stored votes as JSONL (LMSYS fields plus prompt_id and shown_first)"],
    ],
  ),
  group(
    () => import("./commands/rank.ts").then((m) => [m.rankCommand, m.rankStyleCommand]),
    [
      ["rank", "Bradley-Terry ratings with bootstrap intervals, ranks and tiers from pairwise votes"],
      ["rank style", "ratings with style control (answer length and markdown as covariates)"],
    ],
  ),
  group(
    () => import("./commands/bias.ts").then((m) => [m.biasCommand]),
    [["bias", "position bias: how often the first-shown answer wins, per judge or source, with intervals"]],
  ),
  group(
    () => import("./commands/agree.ts").then((m) => [m.agreeCommand]),
    [["agree", "agreement between two vote sources on the same items (kappa, confusion, rank correlation)"]],
  ),
  group(
    () => import("./commands/serve-model.ts").then((m) => [m.serveModelCommand]),
    [["serve-model", "serve a GGUF model over an OpenAI-compatible API (with prompt logprobs)"]],
  ),
  group(
    () => import("./commands/queue.ts").then((m) => m.QUEUE_COMMANDS),
    [
      ["queue add", "queue answer generation, LLM judging or a map rebuild for the workers"],
      ["submit", "submit a model to the leaderboard: checked, then queued for evaluation"],
      ["worker", "take jobs from the queue and run them on model endpoints"],
      ["queue list", "list queued, running, finished and failed jobs"],
      ["queue show", "show one job: its data, state, attempts and output"],
      ["queue retry", "put a failed or cancelled job back in the queue"],
      ["queue cancel", "cancel a queued or running job"],
    ],
  ),
  group(
    () => import("./commands/models.ts").then((m) => m.MODELS_COMMANDS),
    [
      ["models list", "list the models in modelmap.yaml"],
      ["models show", "show one model's configuration, template and system prompt"],
      ["models check", "check that models are reachable, templated, generate, and score log-likelihoods"],
      ["config schema", "print (or write) the JSON Schema of modelmap.yaml"],
      ["config check", "validate modelmap.yaml"],
    ],
  ),
  group(
    () => import("./commands/template.ts").then((m) => m.TEMPLATE_COMMANDS),
    [
      ["template render", "print exactly what a configured model sees for a conversation"],
      ["template list", "list the chat templates modelmap ships"],
      ["template show", "print a named template's Jinja source"],
    ],
  ),
  group(
    () => import("./commands/capmap.ts").then((m) => m.CAPMAP_COMMANDS),
    [
      [
        "map import",
        "import public results into the capability map (open-llm-leaderboard, arena, obs-scaling)",
        ["import"],
      ],
      ["map sync", "bring modelmap's own runs, judge grades and votes into the capability map"],
      ["search", "best models for a category, with intervals and the set tied for first"],
      ["map compare", "per-category differences between two models in the map, with intervals", ["compare-models"]],
      ["card", "print a model card (markdown) from the evidence in the map"],
    ],
  ),
  group(
    () => import("./commands/judging.ts").then((m) => m.JUDGING_COMMANDS),
    [
      [
        "answers import",
        "import answers in FastChat's model_answer JSONL (MT-bench, Arena-Hard baselines) into a stored set",
      ],
      ["prompts check", "validate a prompt set (file or folder) and show its categories"],
      ["prompts import", "store a prompt set (own YAML/JSONL, MT-bench, Vicuna-bench, Arena-Hard) in the database"],
      ["prompts list", "list stored prompt sets"],
      ["generate", "answer a prompt set with one or more models (multi-turn, stored, resumable)"],
      ["judge", "judge stored answers with an LLM: pairwise in both orders and 1-10 grades"],
      ["judge stats", "a judge's consistency under swapping, position and length bias"],
    ],
  ),
  group(
    () => import("./commands/judge-analysis.ts").then((m) => m.JUDGE_ANALYSIS_COMMANDS),
    [
      ["winrate", "win rate against a baseline, with standard error and length-controlled win rate (AlpacaEval 2.0)"],
      [
        "judge quadrants",
        "win rates and ratings per quality quadrant (poor-poor, acceptable-poor, acceptable-acceptable)",
      ],
    ],
  ),
  group(
    () => import("./commands/label.ts").then((m) => m.LABEL_COMMANDS),
    [
      ["label create", "create a blind human-labeling campaign from a stored prompt set and models"],
      ["label list", "list labeling campaigns with their progress"],
      ["label export", "export a campaign's votes in the LMSYS battle format (JSON)"],
      ["label quality", "labeler quality: gold agreement, Krippendorff's alpha, position bias, anomalous voters"],
    ],
  ),
  group(
    () => import("./commands/eval.ts").then((m) => [m.evalCommand]),
    [["eval", "run benchmark tasks on a model (resumable, cached)"]],
  ),
  group(
    () => import("./commands/score.ts").then((m) => [m.scoreCommand]),
    [["score", "score responses generated elsewhere with a task's metrics (no model)"]],
  ),
  group(
    () => import("./commands/tasks.ts").then((m) => m.TASKS_COMMANDS),
    [
      ["tasks list", "list task definitions, groups and tags"],
      ["tasks show", "show one task's resolved definition"],
      ["tasks validate", "check task YAML files against the schema (and their data)"],
      ["tasks requests", "print the requests an evaluation would send, without a model"],
    ],
  ),
  group(
    () => import("./commands/runs.ts").then((m) => m.RUNS_COMMANDS),
    [
      ["runs list", "list stored eval runs"],
      ["runs show", "show one eval run: config, results, errors"],
      ["runs compare", "compare two eval runs per task (paired bootstrap, McNemar)", ["compare"]],
    ],
  ),
  group(
    () => import("./commands/contamination.ts").then((m) => [m.contaminationCommand]),
    [["contamination", "test-set contamination checks (Min-K%++, exchangeability, n-grams, canary)"]],
  ),
  group(
    () => import("./commands/sensitivity.ts").then((m) => [m.sensitivityCommand]),
    [["sensitivity", "prompt-sensitivity report: scores under template/system/few-shot/label/delimiter variants"]],
  ),
  group(
    () => import("./commands/ab.ts").then((m) => m.AB_COMMANDS),
    [
      ["ab import", "import online experiments (A/B tests): effects, sample-ratio checks, orderings per category"],
      ["ab list", "list stored experiments with their outcome and sample-ratio check"],
      ["ab show", "one experiment: variants, effects with 95% intervals, sample-ratio check, implied outcome"],
      ["ab ranking", "Bradley-Terry ordering of models per category from the decisive experiments"],
    ],
  ),
  group(
    () => import("./commands/db.ts").then((m) => m.DB_COMMANDS),
    [
      ["db migrate", "create or upgrade the database schema (SQLite file or PostgreSQL URL)"],
      ["db copy", "copy every table of one database into another, empty one (SQLite to PostgreSQL and back)"],
    ],
  ),
  group(
    () => import("./commands/meta.ts").then((m) => m.META_COMMANDS),
    [["meta", "which signal to trust: agreement of benchmarks, judges and votes with a reference (A/B, arena)"]],
  ),
];

export const COMMANDS: readonly CommandEntry[] = COMMAND_GROUPS.flatMap((g) => g.commands);

export interface FoundCommand {
  command: CommandEntry;
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

/** `modelmap help [COMMAND]`: the list of commands, or one command's usage (which loads that command's module). */
export async function helpText(topic: string[]): Promise<string> {
  if (topic.length > 0) {
    const found = findCommand(topic);
    if (found) return usageText(await found.command.load());
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

export function usageText(command: Command): string {
  return `${command.usage.trimEnd()}\n`;
}
