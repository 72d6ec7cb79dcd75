import { resolve } from "node:path";
import { z } from "zod";
import { fieldPath, ModelmapError } from "../../core/errors.ts";
import { readUserText, writeUserFile } from "../../core/files.ts";
import { winnerSchema } from "../../core/votes.ts";
import { exportLmsys } from "../../labeling/export.ts";
import { campaignQuality } from "../../labeling/quality.ts";
import { type GoldSpec, LabelingService } from "../../labeling/service.ts";
import { type Command, parseFlags, parseNumberFlag, requireString, splitList } from "../command.ts";

const goldRow = z.strictObject({
  prompt_id: z.string(),
  model_a: z.string(),
  model_b: z.string(),
  winner: winnerSchema,
});

function readGold(file: string): GoldSpec[] {
  const out: GoldSpec[] = [];
  readUserText(file, "gold file")
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === "") return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (e) {
        throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, { location: { file, line: i + 1 } });
      }
      const r = goldRow.safeParse(json);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new ModelmapError("input", issue?.message ?? "invalid gold row", {
          location: { file, line: i + 1, field: issue ? fieldPath(issue.path) : "" },
          hint: 'each line: {"prompt_id": "...", "model_a": "...", "model_b": "...", "winner": "model_a|model_b|tie|tie_bothbad"}',
        });
      }
      out.push({ promptId: r.data.prompt_id, modelA: r.data.model_a, modelB: r.data.model_b, winner: r.data.winner });
    });
  return out;
}

const create: Command = {
  name: "label create",
  summary: "create a blind human-labeling campaign from a stored prompt set and models",
  usage: `usage: modelmap label create --name NAME --prompts SET --models A,B,... [--per-labeler K] [--reveal after|never] [--gold-rate R] [--gold FILE.jsonl] [--seed N]

Every prompt of SET with answers from two of the models becomes a comparison item. Labelers open
/label/ID on 'modelmap serve'. The set must not be secret.
  --name NAME          campaign name
  --prompts SET        stored prompt set (answers from 'modelmap generate')
  --models LIST        models to compare
  --per-labeler K      at most K items per labeler (default 4)
  --reveal MODE        reveal model names after each vote (after, default) or never
  --gold-rate R        share of assignments drawn from gold items (default 0.1)
  --gold FILE          JSONL of gold items: {"prompt_id","model_a","model_b","winner"}
  --seed N             seed of the assignment randomization (default 0)`,
  async run(argv, ctx) {
    const { values } = parseFlags("label create", argv, {
      name: { type: "string" },
      prompts: { type: "string" },
      models: { type: "string" },
      "per-labeler": { type: "string" },
      reveal: { type: "string" },
      "gold-rate": { type: "string" },
      gold: { type: "string" },
      seed: { type: "string" },
    });
    const reveal = values.reveal ?? "after";
    if (reveal !== "after" && reveal !== "never")
      throw new ModelmapError("usage", "label create: --reveal expects after or never");
    const spec: Parameters<LabelingService["createCampaign"]>[0] = {
      name: requireString("label create", values.name, "--name"),
      setName: requireString("label create", values.prompts, "--prompts"),
      models: splitList(requireString("label create", values.models, "--models")),
      reveal,
      perLabeler: parseNumberFlag("label create", "--per-labeler", values["per-labeler"], { int: true, min: 1 }) ?? 4,
      goldRate: parseNumberFlag("label create", "--gold-rate", values["gold-rate"], { min: 0, max: 1 }) ?? 0.1,
      seed: parseNumberFlag("label create", "--seed", values.seed, { int: true }) ?? 0,
    };
    if (values.gold) spec.gold = readGold(resolve(ctx.cwd, values.gold));
    const store = await ctx.store();
    const c = await new LabelingService(store).createCampaign(spec);
    const p = await store.labeling.progress(c.id);
    ctx.stdout.write(`created campaign ${c.id}: ${p.items} items (${p.gold} gold); labelers open /label/${c.id}\n`);
    return 0;
  },
};

const list: Command = {
  name: "label list",
  summary: "list labeling campaigns with their progress",
  usage: "usage: modelmap label list\n",
  async run(argv, ctx) {
    parseFlags("label list", argv, {}, false);
    const store = await ctx.store();
    const cs = await store.labeling.campaigns();
    if (cs.length === 0) ctx.stdout.write("no campaigns (modelmap label create)\n");
    for (const c of cs) {
      const p = await store.labeling.progress(c.id);
      ctx.stdout.write(
        `${c.id}  set ${c.setName}  models ${c.models.join(",")}  items ${p.items} (gold ${p.gold})  labelers ${p.labelers}  votes ${p.voted}/${p.assignments} assigned  K=${c.perLabeler} reveal=${c.reveal}\n`,
      );
    }
    return 0;
  },
};

const exportCmd: Command = {
  name: "label export",
  summary: "export a campaign's votes in the LMSYS battle format (JSON)",
  usage: `usage: modelmap label export ID [--out FILE]

Writes a JSON array of battles {question_id, model_a (shown left), model_b, winner, judge, turn, anony,
language, tstamp, conversation_a, conversation_b}; gold items are not exported.`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("label export", argv, { out: { type: "string" } });
    const id = requireString("label export", positionals[0], "ID");
    const store = await ctx.store();
    if (!(await store.labeling.campaign(id))) throw new ModelmapError("not_found", `no campaign '${id}'`);
    const text = `${JSON.stringify(await exportLmsys(store, id), null, 1)}
`;
    if (values.out) writeUserFile(resolve(ctx.cwd, values.out), text, "--out");
    else ctx.stdout.write(text);
    return 0;
  },
};

const quality: Command = {
  name: "label quality",
  summary: "labeler quality: gold agreement, Krippendorff's alpha, position bias, anomalous voters",
  usage: `usage: modelmap label quality ID [--json] [--seed N]`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("label quality", argv, {
      json: { type: "boolean" },
      seed: { type: "string" },
    });
    const id = requireString("label quality", positionals[0], "ID");
    const store = await ctx.store();
    if (!(await store.labeling.campaign(id))) throw new ModelmapError("not_found", `no campaign '${id}'`);
    const q = await campaignQuality(store, id, {
      seed: parseNumberFlag("label quality", "--seed", values.seed, { int: true }) ?? 0,
    });
    if (values.json) {
      ctx.stdout.write(`${JSON.stringify(q, null, 2)}\n`);
      return 0;
    }
    const pc = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "n/a");
    ctx.stdout.write(
      `campaign ${id}: Krippendorff's alpha ${Number.isFinite(q.alpha) ? q.alpha.toFixed(3) : "n/a"} over ${q.alphaUnits} items labelled twice or more; gold agreement ${pc(q.goldAgreement)}\n`,
    );
    ctx.stdout.write("  labeler          votes  gold      left-rate (p)       anomaly p   flagged\n");
    for (const l of q.labelers) {
      ctx.stdout.write(
        `  ${l.labeler.padEnd(16)} ${String(l.votes).padStart(5)}  ${`${l.gold.agree}/${l.gold.n}`.padEnd(8)}  ${pc(l.position.leftRate).padStart(4)} (${l.position.pValue.toFixed(3)})  ${l.anomaly.pValue.toFixed(4).padStart(10)}   ${l.anomaly.flagged ? "YES" : ""}\n`,
      );
    }
    return 0;
  },
};

export const LABEL_COMMANDS: Command[] = [create, list, exportCmd, quality];
