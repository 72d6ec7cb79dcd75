/**
 * lm-evaluation-harness's own `lm_eval/tasks` tree, unchanged, as an lm-eval user brings it: unpacked from
 * ../shared/data/lm_eval_tasks/lm_eval_tasks.tar.gz into a temporary folder (never into the repository).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SHARED_DATA = join(import.meta.dirname, "..", "..", "..", "shared", "data");
export const TARBALL = join(SHARED_DATA, "lm_eval_tasks", "lm_eval_tasks.tar.gz");
export const GOLDEN = join(SHARED_DATA, "lmeval_golden");

let unpacked: string | undefined;

/** The unpacked `lm_eval/tasks` folder (once per process). */
export function lmEvalTasks(): string {
  if (unpacked) return unpacked;
  assert.ok(existsSync(TARBALL), `lm-eval's task tree missing at ${TARBALL}: the tests read it from ../shared/data`);
  const dir = mkdtempSync(join(tmpdir(), "mm-lmeval-"));
  // 68 MB unpacked: removed when the test process ends (each test file is a process of its own).
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  execFileSync("tar", ["-xzf", TARBALL, "-C", dir]);
  unpacked = join(dir, "lm_eval", "tasks");
  return unpacked;
}
