/**
 * Binds a task file's `!function MODULE.NAME` tags to the native hooks registered for them: the module is the
 * file `MODULE.py` next to the YAML that holds the tag (a dotted module is a path, as lm-eval resolves it), looked
 * up by the hash of its bytes. Anything else is a clear error that names the file, line and function.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { ModelmapError } from "../core/errors.ts";
import { type PythonHook, type PythonHookOptions, pythonHook } from "./hooks/python.ts";
import { HOOK_MODULES, type HookLookup, moduleByHash, sha256Hex } from "./hooks/registry.ts";
import type { HookFunction, HookKind, HookModule } from "./hooks/types.ts";
import type { FunctionRef } from "./pyyaml.ts";

export interface BoundHook {
  ref: FunctionRef;
  fn: HookFunction;
  /** sha256 of the module file: part of the task's hash. */
  moduleSha256: string;
  /** Set when the hook runs in python3 (`--python-hooks`) rather than natively. */
  python?: PythonHook;
}

const PYTHON_HOOKS_HINT =
  "modelmap runs lm-eval's Python hooks only through native versions of known hook files; --python-hooks (opt-in) runs the Python function instead";

/** Module files are read and hashed once per version (hundreds of task files share one utils.py). */
const moduleFiles = new Map<string, { stamp: string; sha: string | null }>();

function moduleSha(path: string): string | null {
  const st = existsSync(path) ? statSync(path) : undefined;
  const stamp = st ? `${st.mtimeMs}:${st.size}` : "absent";
  const hit = moduleFiles.get(path);
  if (hit && hit.stamp === stamp) return hit.sha;
  const sha = st ? sha256Hex(readFileSync(path)) : null;
  if (moduleFiles.size > 2000) moduleFiles.clear();
  moduleFiles.set(path, { stamp, sha });
  return sha;
}

/** `lookupHook` for a module whose hash is known (the registry's own lookup hashes the bytes on every call). */
function lookupHookByHash(sha: string, name: string, modules: readonly HookModule[]): HookLookup {
  const module = moduleByHash(sha, modules);
  if (!module) return { ok: false, reason: "unknown-module" };
  const fn = module.functions[name];
  if (!fn) return { ok: false, reason: "unknown-function", known: Object.keys(module.functions).sort() };
  return { ok: true, module, fn };
}

/**
 * The Python file a `!function` tag names: `MODULE.py` next to the YAML, else (as Python imports
 * `lm_eval.tasks.x.utils`) the module under the `lm_eval/tasks` folder that holds the YAML.
 */
export function moduleFile(ref: FunctionRef): string {
  const local = join(dirname(ref.file), `${ref.module.replace(/\./g, "/")}.py`);
  const pkg = "lm_eval.tasks.";
  if (existsSync(local) || !ref.module.startsWith(pkg)) return local;
  const at = ref.file.lastIndexOf(`${sep}lm_eval${sep}tasks${sep}`);
  if (at < 0) return local;
  const root = ref.file.slice(0, at + `${sep}lm_eval${sep}tasks`.length);
  return join(root, `${ref.module.slice(pkg.length).replace(/\./g, "/")}.py`);
}

/**
 * `!function modelmap.leaderboard.ifeval.utils.process_results`: modelmap's native version of lm-eval's
 * `leaderboard/ifeval/utils.py` named directly, for modelmap's own task files (which ship no Python). The module
 * is found by its lm-eval path, not by a file's hash; the task's hash takes the hash of the file it stands for.
 */
export const NATIVE_PREFIX = "modelmap.";

function bindNative(
  ref: FunctionRef,
  field: string,
  expect: HookKind | undefined,
  modules: readonly HookModule[],
): BoundHook {
  const location = { file: ref.file, line: ref.line, field };
  const path = `${ref.module.slice(NATIVE_PREFIX.length).replace(/\./g, "/")}.py`;
  const module = modules.find((m) => m.path === path);
  if (!module)
    throw new ModelmapError("unsupported", `hook '!function ${ref.ref}' is not implemented: no native ${path}`, {
      location,
      hint: `native modules: ${[...new Set(modules.map((m) => m.path))].sort().join(", ")}`,
    });
  const fn = module.functions[ref.name];
  if (!fn)
    throw new ModelmapError(
      "unsupported",
      `hook '!function ${ref.ref}' is not implemented: the native version of ${path} has no '${ref.name}' (it has ${Object.keys(module.functions).sort().join(", ")})`,
      { location },
    );
  if (expect !== undefined && fn.kind !== expect)
    throw new ModelmapError(
      "input",
      `'!function ${ref.ref}' is a ${fn.kind} hook, but '${field}' needs a ${expect} hook`,
      {
        location,
      },
    );
  return { ref, fn, moduleSha256: module.sha256[0] ?? "" };
}

/**
 * Finds the native stand-in for one tag. `expect` is the kind of hook the field needs (`process_docs`,
 * `doc_to_text`, ...), or undefined where any registered function is accepted.
 */
export function bindHook(
  ref: FunctionRef,
  field: string,
  expect: HookKind | undefined,
  modules: readonly HookModule[] = HOOK_MODULES,
  /** `--python-hooks`: a hook without a native version runs in python3 (never on the server). */
  python?: PythonHookOptions,
): BoundHook {
  const location = { file: ref.file, line: ref.line, field };
  if (ref.module === "")
    throw new ModelmapError("input", `'!function ${ref.ref}' names no module (expected MODULE.FUNCTION)`, { location });
  const path = moduleFile(ref);
  if (ref.module.startsWith(NATIVE_PREFIX) && !existsSync(path)) return bindNative(ref, field, expect, modules);
  const sha = moduleSha(path);
  const shown = relative(dirname(ref.file), path) || path;
  if (sha === null)
    throw new ModelmapError("input", `'!function ${ref.ref}': the module file ${shown} does not exist`, {
      location,
      hint: "lm-eval looks for MODULE.py next to the YAML file that names it",
    });
  const found = lookupHookByHash(sha, ref.name, modules);
  if (!found.ok && python !== undefined && expect !== undefined) {
    const ph = pythonHook({ file: path, name: ref.name, location }, expect, python);
    return { ref, fn: ph.hook, moduleSha256: sha, python: ph };
  }
  if (!found.ok) {
    const why =
      found.reason === "unknown-module"
        ? `no native version of ${shown} (sha256 ${sha.slice(0, 12)}) is registered`
        : `the native version of ${shown} has no '${ref.name}' (it has ${(found.known ?? []).join(", ") || "nothing"})`;
    throw new ModelmapError("unsupported", `hook '!function ${ref.ref}' is not implemented: ${why}`, {
      location,
      hint: PYTHON_HOOKS_HINT,
    });
  }
  if (expect !== undefined && found.fn.kind !== expect)
    throw new ModelmapError(
      "input",
      `'!function ${ref.ref}' is a ${found.fn.kind} hook, but '${field}' needs a ${expect} hook`,
      { location },
    );
  return { ref, fn: found.fn, moduleSha256: sha };
}
