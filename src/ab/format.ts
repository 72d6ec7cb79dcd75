import { z } from "zod";
import { CsvTable, numberCell } from "../capmap/csv.ts";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { AB_METRIC_KINDS, type AbExperiment, type AbVariant } from "../store/ab.ts";

/**
 * The experiment file formats of `modelmap ab import` (documented in docs/ab-testing.md): JSONL with one
 * experiment per line, or CSV with one row per variant. Both go through one schema, so a CSV row and a JSONL
 * line are held to the same rules; every problem is reported with its line and field, and a file with any bad
 * row stores nothing.
 */

const isoDate = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, "expected an ISO date (YYYY-MM-DD or a date-time)")
  .refine((s) => !Number.isNaN(Date.parse(s)), "not a real date");

const finite = z.number().finite();
const nonNegative = finite.nonnegative();

const variantSchema = z
  .object({
    name: z.string().trim().min(1),
    model: z.string().trim().min(1),
    preset: z.string().trim().min(1).optional(),
    planned_share: finite.positive().optional(),
    units: z.number().int().positive(),
    successes: z.number().int().nonnegative().optional(),
    mean: finite.optional(),
    sd: nonNegative.optional(),
    numerator_mean: finite.optional(),
    denominator_mean: finite.optional(),
    numerator_sd: nonNegative.optional(),
    denominator_sd: nonNegative.optional(),
    covariance: finite.optional(),
  })
  .strict();

type RawVariant = z.infer<typeof variantSchema>;

/** The outcome fields each kind needs; the others must be absent so that a mislabelled kind cannot slip through. */
const KIND_FIELDS = {
  proportion: ["successes"],
  mean: ["mean", "sd"],
  ratio: ["numerator_mean", "denominator_mean", "numerator_sd", "denominator_sd", "covariance"],
} as const satisfies Record<(typeof AB_METRIC_KINDS)[number], readonly (keyof RawVariant)[]>;
const OUTCOME_FIELDS = Object.values(KIND_FIELDS).flat();

export const experimentSchema = z
  .object({
    experiment: z.string().trim().min(1),
    start: isoDate,
    end: isoDate,
    category: z
      .string()
      .trim()
      .min(1)
      .transform((s) => s.toLowerCase()),
    metric: z.string().trim().min(1),
    kind: z.enum(AB_METRIC_KINDS),
    higher_is_better: z.boolean().default(true),
    variants: z.array(variantSchema).min(2, "an experiment needs at least two variants"),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (Date.parse(e.end) < Date.parse(e.start))
      ctx.addIssue({ code: "custom", path: ["end"], message: `ends (${e.end}) before it starts (${e.start})` });
    const names = new Set<string>();
    const shares = e.variants.filter((v) => v.planned_share !== undefined).length;
    e.variants.forEach((v, i) => {
      const at = (field: string) => ["variants", i, field];
      if (names.has(v.name))
        ctx.addIssue({ code: "custom", path: at("name"), message: `duplicate variant '${v.name}'` });
      names.add(v.name);
      if (shares > 0 && v.planned_share === undefined)
        ctx.addIssue({
          code: "custom",
          path: at("planned_share"),
          message: "give planned_share for every variant or for none (none = an equal split)",
        });
      const need: readonly string[] = KIND_FIELDS[e.kind];
      for (const f of need)
        if (v[f as keyof RawVariant] === undefined)
          ctx.addIssue({ code: "custom", path: at(f), message: `required for kind '${e.kind}'` });
      for (const f of OUTCOME_FIELDS)
        if (!need.includes(f) && v[f] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: at(f),
            message: `not a field of kind '${e.kind}' (it needs ${need.join(", ")})`,
          });
      if (v.successes !== undefined && v.successes > v.units)
        ctx.addIssue({
          code: "custom",
          path: at("successes"),
          message: `more successes (${v.successes}) than units (${v.units})`,
        });
      if (e.kind === "ratio") {
        if (v.denominator_mean === 0)
          ctx.addIssue({
            code: "custom",
            path: at("denominator_mean"),
            message: "a ratio's denominator mean cannot be 0",
          });
        const bound = (v.numerator_sd ?? 0) * (v.denominator_sd ?? 0);
        if (v.covariance !== undefined && Math.abs(v.covariance) > bound * (1 + 1e-9) + 1e-12)
          ctx.addIssue({
            code: "custom",
            path: at("covariance"),
            message: `|covariance| ${v.covariance} exceeds numerator_sd * denominator_sd = ${bound} (impossible)`,
          });
      }
      if (e.kind === "mean" && v.units < 2)
        ctx.addIssue({
          code: "custom",
          path: at("units"),
          message: "a mean with a standard deviation needs at least 2 units",
        });
    });
  });

export type RawExperiment = z.infer<typeof experimentSchema>;

export interface BadRow {
  line: number;
  field?: string | undefined;
  message: string;
}

export interface ParsedExperiments {
  format: "jsonl" | "csv";
  experiments: AbExperiment[];
  bad: BadRow[];
}

export function toExperiment(raw: RawExperiment, line: number): AbExperiment {
  return {
    id: raw.experiment,
    category: raw.category,
    start: raw.start,
    end: raw.end,
    metric: raw.metric,
    kind: raw.kind,
    higherIsBetter: raw.higher_is_better,
    line,
    variants: raw.variants.map(
      (v): AbVariant => ({
        name: v.name,
        model: v.model,
        modelId: v.model,
        preset: v.preset,
        plannedShare: v.planned_share,
        units: v.units,
        successes: v.successes,
        mean: v.mean,
        sd: v.sd,
        numeratorMean: v.numerator_mean,
        denominatorMean: v.denominator_mean,
        numeratorSd: v.numerator_sd,
        denominatorSd: v.denominator_sd,
        covariance: v.covariance,
      }),
    ),
  };
}

/** JSONL: one experiment object per line; blank lines and lines starting with # are skipped. */
export function parseJsonl(text: string): ParsedExperiments {
  const out: ParsedExperiments = { format: "jsonl", experiments: [], bad: [] };
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === "" || s.startsWith("#")) return;
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch (e) {
      out.bad.push({ line, message: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    const r = experimentSchema.safeParse(obj);
    if (!r.success) {
      for (const issue of r.error.issues)
        out.bad.push({ line, field: fieldPath(issue.path) || undefined, message: issue.message });
      return;
    }
    const first = seen.get(r.data.experiment);
    if (first !== undefined) {
      out.bad.push({
        line,
        field: "experiment",
        message: `experiment '${r.data.experiment}' already given on line ${first}`,
      });
      return;
    }
    seen.set(r.data.experiment, line);
    out.experiments.push(toExperiment(r.data, line));
  });
  return out;
}

const CSV_EXPERIMENT_COLUMNS = [
  "experiment",
  "start",
  "end",
  "category",
  "metric",
  "kind",
  "higher_is_better",
] as const;
const CSV_NUMBER_COLUMNS = [
  "planned_share",
  "units",
  "successes",
  "mean",
  "sd",
  "numerator_mean",
  "denominator_mean",
  "numerator_sd",
  "denominator_sd",
  "covariance",
] as const;
const CSV_REQUIRED = ["experiment", "start", "end", "category", "metric", "kind", "variant", "model", "units"];

/**
 * CSV: one row per variant; the experiment columns repeat on each of its rows and must agree. Rows of one
 * experiment may be anywhere in the file; its first row is the control.
 */
export function parseCsvExperiments(text: string, file: string): ParsedExperiments {
  const t = new CsvTable(text, file);
  t.requireColumns(CSV_REQUIRED, "an A/B experiments CSV");
  const known = new Set<string>([...CSV_EXPERIMENT_COLUMNS, "variant", "model", "preset", ...CSV_NUMBER_COLUMNS]);
  const unknown = t.header.filter((h) => !known.has(h));
  if (unknown.length > 0) {
    throw new ModelmapError("input", `unknown column(s) ${unknown.join(", ")}`, {
      location: { file, line: 1 },
      hint: `columns: ${[...known].join(", ")}`,
    });
  }
  const out: ParsedExperiments = { format: "csv", experiments: [], bad: [] };
  const groups = new Map<
    string,
    { head: Record<string, string>; line: number; rows: Array<{ line: number; v: Record<string, unknown> }> }
  >();
  for (const row of t.rows) {
    const id = t.get(row, "experiment") ?? "";
    if (id === "") {
      out.bad.push({ line: row.line, field: "experiment", message: "empty experiment id" });
      continue;
    }
    const head: Record<string, string> = {};
    for (const c of CSV_EXPERIMENT_COLUMNS) {
      const v = t.get(row, c);
      if (v !== undefined && v !== "") head[c] = v;
    }
    const g = groups.get(id);
    if (g) {
      for (const c of CSV_EXPERIMENT_COLUMNS) {
        if ((head[c] ?? "") !== (g.head[c] ?? ""))
          out.bad.push({
            line: row.line,
            field: c,
            message: `'${head[c] ?? ""}' differs from '${g.head[c] ?? ""}' on line ${g.line}, the experiment's first row`,
          });
      }
    }
    const v: Record<string, unknown> = {};
    const name = t.get(row, "variant");
    const model = t.get(row, "model");
    if (name) v.name = name;
    if (model) v.model = model;
    const preset = t.get(row, "preset");
    if (preset) v.preset = preset;
    for (const c of CSV_NUMBER_COLUMNS) {
      const n = numberCell(t.get(row, c));
      if (typeof n === "string") out.bad.push({ line: row.line, field: c, message: n });
      else if (n !== undefined) v[c] = n;
    }
    if (g) g.rows.push({ line: row.line, v });
    else groups.set(id, { head, line: row.line, rows: [{ line: row.line, v }] });
  }
  for (const g of groups.values()) {
    const hib = g.head.higher_is_better;
    const obj: Record<string, unknown> = { ...g.head, variants: g.rows.map((r) => r.v) };
    if (hib !== undefined) {
      const b = /^(true|1|yes)$/i.test(hib) ? true : /^(false|0|no)$/i.test(hib) ? false : hib;
      obj.higher_is_better = b;
    }
    const r = experimentSchema.safeParse(obj);
    if (!r.success) {
      for (const issue of r.error.issues) {
        // variants[i].field is row i of this experiment; everything else belongs to its first row.
        const [p0, p1, ...rest] = issue.path;
        const onVariant = p0 === "variants" && typeof p1 === "number";
        const line = onVariant ? (g.rows[p1]?.line ?? g.line) : g.line;
        let field = onVariant ? fieldPath(rest) || undefined : fieldPath(issue.path) || undefined;
        if (field === "name") field = "variant";
        out.bad.push({ line, field, message: issue.message });
      }
      continue;
    }
    out.experiments.push(toExperiment(r.data, g.line));
  }
  out.bad.sort((a, b) => a.line - b.line);
  return out;
}

/** Picks the format from the extension (.csv; .jsonl/.json) or, failing that, from the first character. */
export function parseExperiments(text: string, file: string): ParsedExperiments {
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) return parseCsvExperiments(text, file);
  if (lower.endsWith(".jsonl") || lower.endsWith(".json") || text.trimStart().startsWith("{")) return parseJsonl(text);
  return parseCsvExperiments(text, file);
}

/** Turns bad rows into the one error that stops an import: the first with its place, the rest in the hint. */
export function badRowsError(file: string, bad: BadRow[]): ModelmapError {
  const first = bad[0] as BadRow;
  const more = bad.slice(1, 11).map((b) => `line ${b.line}${b.field ? `, field '${b.field}'` : ""}: ${b.message}`);
  const extra = bad.length > 11 ? [`... and ${bad.length - 11} more`] : [];
  return new ModelmapError(
    "input",
    `${first.message} (${bad.length} problem${bad.length === 1 ? "" : "s"} in the file; nothing was stored)`,
    {
      location: { file, line: first.line, ...(first.field ? { field: first.field } : {}) },
      ...(more.length ? { hint: [...more, ...extra].join("; ") } : {}),
    },
  );
}
