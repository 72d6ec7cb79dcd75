/**
 * The offline main job's models: the fixture zoo (tools/zoo), read from its manifest. Paths are resolved
 * against the repository so that `npm start` works from any working directory.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import type { PipelineModel } from "./pipeline.ts";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_ZOO_DIR = join(REPO_ROOT, "fixtures", "zoo");
/** The zoo's verifiable chat prompts (math, knowledge, reasoning), held out from every clean corpus. */
export const ZOO_PROMPT_SETS = [join(REPO_ROOT, "prompts", "synthetic")];
/** The synthetic benchmarks, by tag (multiple-choice and generative per category). */
export const ZOO_TASKS = ["synthetic"];
export const ZOO_VOTE_SOURCE = "zoo-verifiable";

const ManifestSchema = z.object({
  seed: z.number().int().optional(),
  models: z.record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
    z.looseObject({
      file: z.string().min(1),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
  ),
});

/** Reads `<dir>/manifest.json` and checks every model file is there (and matches its sha256 when given). */
export function loadZoo(dir: string = DEFAULT_ZOO_DIR): PipelineModel[] {
  const file = join(dir, "manifest.json");
  if (!existsSync(file))
    throw new ModelmapError("not_found", `the fixture zoo's manifest is missing: ${file}`, {
      hint: "the zoo ships with the repository (fixtures/zoo); rebuild it with tools/zoo/build.py (see tools/zoo/README.md)",
    });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, { location: { file } });
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelmapError("input", issue?.message ?? "invalid manifest", {
      location: { file, field: issue ? fieldPath(issue.path) : "" },
      hint: "expected {models: {NAME: {file, sha256}}}",
    });
  }
  const models = Object.entries(parsed.data.models)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, m]) => {
      const path = resolve(dir, m.file);
      if (!existsSync(path))
        throw new ModelmapError("not_found", `zoo model '${name}': ${path} is missing`, {
          location: { file, field: `models.${name}.file` },
        });
      if (m.sha256 !== undefined) {
        const got = createHash("sha256").update(readFileSync(path)).digest("hex");
        if (got !== m.sha256)
          throw new ModelmapError(
            "input",
            `zoo model '${name}': sha256 of ${path} is ${got}, manifest says ${m.sha256}`,
            {
              location: { file, field: `models.${name}.sha256` },
              hint: "the file changed after the manifest was written; rebuild the zoo or restore the file",
            },
          );
      }
      return { id: `zoo-${name}`, file: path };
    });
  if (models.length < 2)
    throw new ModelmapError("input", `the zoo needs at least two models, the manifest lists ${models.length}`, {
      location: { file, field: "models" },
    });
  return models;
}
