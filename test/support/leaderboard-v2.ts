/**
 * Data the Open LLM Leaderboard v2 tests need besides ../shared/data, made by the tests in a temporary folder:
 * GPQA-shaped rows (GPQA ships no plain text; these are written here, not GPQA's questions) and an MMLU-Pro few-shot
 * pool made from other test rows (the hub's validation split is not in shared/data). Neither is real benchmark data
 * and neither enters the repository.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Bunzip from "seek-bzip";
import { SHARED_DATA } from "./lmeval-tree.ts";

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * `n` GPQA-shaped rows with the columns lm-eval's hook reads (plus two the real files have that it ignores). Some
 * cells are empty: the hub's CSV loader reads them as None, which the hook turns into " ".
 */
export function gpqaCsv(set: string, n: number): string {
  const header = [
    "Pre-Revision Question",
    "Question",
    "Correct Answer",
    "Incorrect Answer 1",
    "Incorrect Answer 2",
    "Incorrect Answer 3",
    "Subdomain",
  ];
  const rows = [header.join(",")];
  for (let i = 0; i < n; i++) {
    const q = ` In a made-up ${set} experiment ${i}, which value, measured twice, is right?`;
    rows.push(
      [
        q,
        q,
        `  ${i + 7} units [title] kept  `,
        `${i + 1} units [note]`,
        i % 3 === 0 ? "" : `${i + 2} units`,
        `${i + 3}, or "${i + 4}" units`,
        "Made-up",
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return `${rows.join("\n")}\n`;
}

/** A data dir holding only GPQA-shaped CSVs, as a user would unzip the real ones (gpqa/gpqa_*.csv). */
export function gpqaDataDir(n = 6): string {
  const dir = mkdtempSync(join(tmpdir(), "mm-gpqa-"));
  mkdirSync(join(dir, "gpqa"));
  for (const set of ["gpqa_main", "gpqa_diamond", "gpqa_extended"])
    writeFileSync(join(dir, "gpqa", `${set}.csv`), gpqaCsv(set, n));
  return dir;
}

export const MMLU_PRO_TEST = join(SHARED_DATA, "mmlu_pro", "test.J.jsonl.bz2");

/**
 * A dataset map for TIGER-Lab/MMLU-Pro whose validation split (the 5-shot pool) is the LAST five test rows: a
 * stand-in so that the 5-shot prompts can be built and compared; the hub's validation split is other questions.
 */
export function mmluProPoolMap(): string {
  const dir = mkdtempSync(join(tmpdir(), "mm-mmlupro-"));
  const lines = Bunzip.decode(readFileSync(MMLU_PRO_TEST))
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const pool = join(dir, "validation-from-test-tail.jsonl");
  writeFileSync(pool, `${lines.slice(-5).join("\n")}\n`);
  const map = join(dir, "mmlu-pro-map.yaml");
  writeFileSync(
    map,
    [
      "datasets:",
      "  - path: TIGER-Lab/MMLU-Pro",
      "    note: TEST STAND-IN - the 5-shot pool is the last five test rows, not the hub's validation split",
      "    splits:",
      `      test: ${JSON.stringify(MMLU_PRO_TEST)}`,
      `      validation: ${JSON.stringify(pool)}`,
      "",
    ].join("\n"),
  );
  return map;
}

/** A dataset map for Idavidrein/gpqa pointing at GPQA-shaped CSVs the test writes (see `gpqaDataDir`). */
export function gpqaMap(n = 4): string {
  const data = gpqaDataDir(n);
  const map = join(data, "gpqa-map.yaml");
  writeFileSync(
    map,
    [
      "datasets:",
      "  - path: Idavidrein/gpqa",
      '    name: "*"',
      "    note: TEST DATA - GPQA-shaped rows written by the test, not GPQA's questions",
      "    splits:",
      `      train: { path: ${JSON.stringify(join(data, "gpqa", "{{ name }}.csv"))}, format: csv, na_values: pandas }`,
      "",
    ].join("\n"),
  );
  return map;
}
