/**
 * The reference for ports of Python code: run the real Python (`python3`) on the same inputs and compare.
 * Tests that need it call `pythonOrSkip(t)`: when no python3 is installed the comparison is skipped with a visible
 * reason (the test's inline expected values, themselves taken from Python, still run); with
 * MODELMAP_REQUIRE_PYTHON=1 a missing python3 fails instead. Shared data that is missing always fails.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { sharedData } from "./shared-data.ts";

export { sharedData };

let python: string | null | undefined;

/** The python3 executable, or null when there is none. */
export function findPython(): string | null {
  if (python !== undefined) return python;
  python = null;
  if (process.env.MODELMAP_PYTHON === "none") return python; // tests as on a machine without python3
  for (const cand of [process.env.MODELMAP_PYTHON, "/usr/bin/python3", "python3"]) {
    if (!cand) continue;
    const r = spawnSync(cand, ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim() === "3") {
      python = cand;
      break;
    }
  }
  return python;
}

/** python3, or skips the test (fails under MODELMAP_REQUIRE_PYTHON=1) when it is missing. */
export function pythonOrSkip(t: TestContext): string | null {
  const py = findPython();
  if (py) return py;
  if (process.env.MODELMAP_REQUIRE_PYTHON === "1") throw new Error("python3 not found (MODELMAP_REQUIRE_PYTHON=1)");
  t.skip("python3 not found: the comparison with the reference Python code did not run");
  return null;
}

/** True when `python3 -c "import MOD"` works. */
export function pythonHasModule(py: string, mod: string): boolean {
  return spawnSync(py, ["-c", `import ${mod}`], { encoding: "utf8" }).status === 0;
}

/**
 * Runs `script` with `INPUT` bound to the JSON-decoded `input`; the script sets `OUTPUT`, which comes back
 * JSON-encoded (non-finite floats as {"$float": "nan" | "inf" | "-inf"}, tuples as lists).
 */
export function runPython(py: string, script: string, input: unknown, env: Record<string, string> = {}): unknown {
  const wrapper = `
import json, sys, math
INPUT = json.loads(sys.stdin.read())
OUTPUT = None
${script}
def _enc(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if isinstance(v, dict):
        return {str(k): _enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    if hasattr(v, "tolist"):
        return _enc(v.tolist())
    return v
sys.stdout.write(json.dumps(_enc(OUTPUT)))
`;
  const r = spawnSync(py, ["-c", wrapper], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, PYTHONHASHSEED: "0", PYTHONDONTWRITEBYTECODE: "1", ...env },
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout, (_k, v) => {
    if (v && typeof v === "object" && !Array.isArray(v) && "$float" in v) {
      const f = (v as { $float: string }).$float;
      return f === "nan" ? Number.NaN : f === "inf" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
    return v;
  });
}

/**
 * lm-eval's task tree (`lm_eval/tasks`), unpacked once per archive version into the OS temp folder; never into
 * the repository.
 */
export function lmEvalTasksDir(): string {
  const archive = sharedData("lm_eval_tasks/lm_eval_tasks.tar.gz");
  const hash = createHash("sha256").update(readFileSync(archive)).digest("hex").slice(0, 16);
  const root = join(tmpdir(), `modelmap-lm-eval-tasks-${hash}`);
  const tasks = join(root, "lm_eval", "tasks");
  if (existsSync(tasks)) return tasks;
  const partial = `${root}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  const r = spawnSync("tar", ["xzf", archive, "-C", partial], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not unpack ${archive}: ${r.stderr}`);
  try {
    renameSync(partial, root);
  } catch {
    // Another test process unpacked it first.
  }
  if (!existsSync(tasks)) throw new Error(`${archive} holds no lm_eval/tasks`);
  return tasks;
}
