import { ModelmapError } from "../../core/errors.ts";
import { compareRuns, failureSummary } from "../../runner/service.ts";
import { listRuns, runDetail } from "../../runner/views.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";
import { resultsTable } from "./eval.ts";

const runsList: Command = {
  name: "runs list",
  summary: "list stored eval runs",
  usage: `usage: modelmap runs list [--format text|json]`,
  async run(argv, ctx) {
    const { values } = parseFlags("runs list", argv, { format: { type: "string" } }, false);
    const runs = await listRuns(await ctx.store());
    if (values.format === "json") {
      ctx.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    for (const r of runs) {
      const tasks = r.tasks.join(",");
      ctx.stdout.write(
        `${r.id}  ${r.status.padEnd(8)}  ${r.created_at}  ${r.model}  ${tasks.length > 60 ? `${tasks.slice(0, 57)}...` : tasks}\n`,
      );
    }
    if (runs.length === 0) ctx.stdout.write("no runs yet (modelmap eval ...)\n");
    return 0;
  },
};

const runsShow: Command = {
  name: "runs show",
  summary: "show one eval run: config, results, errors",
  usage: `usage: modelmap runs show RUN [--format text|json] [--errors]

RUN is a run id or a unique prefix. --errors lists the failed samples.`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("runs show", argv, {
      format: { type: "string" },
      errors: { type: "boolean" },
    });
    const id = positionals[0];
    if (!id) throw new ModelmapError("usage", "runs show: give a run id");
    const store = await ctx.store();
    // The same object `GET /api/runs/RUN` answers.
    const { view: run, log } = await runDetail(store, id);
    if (values.format === "json") {
      ctx.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(
      `run ${run.id} (${run.status})\nmodel ${run.model} ${JSON.stringify(run.identity)}\nconfig ${JSON.stringify(run.config)}\n`,
    );
    if (run.failure) ctx.stdout.write(`failed (${run.failure.reason}): ${run.failure.message}\n`);
    for (const c of run.samples) ctx.stdout.write(`  ${c.task}: ${c.n} samples, ${c.errors} errors\n`);
    if (log && Object.keys(log.results).length) {
      ctx.stdout.write(resultsTable(log));
      for (const line of failureSummary(log).lines) ctx.stdout.write(`  ${line}\n`);
    }
    if (values.errors)
      for await (const s of store.evals.iterateSamples(run.id))
        if (s.error !== null) ctx.stdout.write(`  ${s.task}#${s.docId}: ${s.error}\n`);
    return 0;
  },
};

const runsCompare: Command = {
  name: "runs compare",
  deprecatedNames: ["compare"],
  summary: "compare two eval runs per task (paired bootstrap, McNemar)",
  usage: `usage: modelmap runs compare RUN_A RUN_B [--seed N] [--iterations N] [--format text|json]

For each task and metric both runs scored, over the documents both scored: mean A, mean B, the difference A-B
with a 95% paired-bootstrap interval, and McNemar's test for 0/1 metrics (exact binomial under 25 discordant pairs).`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("runs compare", argv, {
      seed: { type: "string" },
      iterations: { type: "string" },
      format: { type: "string" },
    });
    const [a, b] = positionals;
    if (!a || !b) throw new ModelmapError("usage", "runs compare: give two run ids");
    const seed = parseNumberFlag("runs compare", "--seed", values.seed, { int: true }) ?? 1234;
    const iterations =
      parseNumberFlag("runs compare", "--iterations", values.iterations, { int: true, min: 100 }) ?? 2000;
    const cmp = await compareRuns(await ctx.store(), a, b, { seed, iterations });
    if (values.format === "json") {
      ctx.stdout.write(`${JSON.stringify(cmp, null, 2)}\n`);
      return 0;
    }
    ctx.stdout.write(`A = ${cmp.runA}, B = ${cmp.runB}\n`);
    for (const t of cmp.tasks) {
      const mc = t.mcnemar ? `  McNemar b=${t.mcnemar.b} c=${t.mcnemar.c} p=${t.mcnemar.pValue.toPrecision(3)}` : "";
      ctx.stdout.write(
        `${t.task.padEnd(36)} ${t.metric.padEnd(28)} n=${t.n}  A=${t.a.toFixed(4)}  B=${t.b.toFixed(4)}  A-B=${t.diff >= 0 ? "+" : ""}${t.diff.toFixed(4)} [${t.lower.toFixed(4)}, ${t.upper.toFixed(4)}]${mc}\n`,
      );
    }
    if (cmp.tasks.length === 0) ctx.stdout.write("no task scored by both runs\n");
    return 0;
  },
};

export const RUNS_COMMANDS: Command[] = [runsList, runsShow, runsCompare];
