/**
 * Runs lm-eval's own hook code (the `utils.py` files of the unpacked task tree) through modelmap's
 * `--python-hooks` runner, as the reference the native hook ports are compared with.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type PythonAnswer, type PythonCall, runPythonHook } from "../../src/tasks/hooks/python.ts";
import { moduleByHash, sha256Hex } from "../../src/tasks/hooks/registry.ts";
import type { HookModule } from "../../src/tasks/hooks/types.ts";
import { lmEvalTasksDir, pythonHasModule, pythonOrSkip } from "./python-oracle.ts";

const STUBS = join(import.meta.dirname, "python-stubs");

/** The module file in lm-eval's tree, and the registered native module its bytes map to. */
export function treeModule(rel: string): { file: string; module: HookModule | undefined; sha256: string } {
  const file = join(lmEvalTasksDir(), rel);
  const sha256 = sha256Hex(readFileSync(file));
  return { file, module: moduleByHash(sha256), sha256 };
}

export interface Oracle {
  run(rel: string, name: string, call: PythonCall): unknown;
  /** The whole answer: the value, Python's random state after the call, which `datasets` was used. */
  answer(rel: string, name: string, call: PythonCall): PythonAnswer;
}

/** python3 running lm-eval's hooks (with the test stand-ins for lm_eval's base classes), or null (test skipped). */
export function hookOracle(
  t: TestContext,
  opts: { importOnlyStubs?: boolean; requires?: string[] } = {},
): Oracle | null {
  const python = pythonOrSkip(t);
  if (!python) return null;
  const missing = (opts.requires ?? []).filter((m) => !pythonHasModule(python, m));
  if (missing.length > 0) {
    if (process.env.MODELMAP_REQUIRE_PYTHON === "1") throw new Error(`python3 lacks ${missing.join(", ")}`);
    t.skip(`python3 lacks ${missing.join(", ")} (the hook file imports it): the comparison did not run`);
    return null;
  }
  const pythonPath = [STUBS, ...(opts.importOnlyStubs ? [join(STUBS, "import-only")] : [])];
  const answer = (rel: string, name: string, call: PythonCall) =>
    runPythonHook({ file: join(lmEvalTasksDir(), rel), name }, call, { env: process.env, python, pythonPath });
  return { run: (rel, name, call) => answer(rel, name, call).value, answer };
}
