/**
 * `--python-hooks`: runs an lm-eval `!function` hook that has no native version in a `python3` child process, on
 * the documents, with the network off and a time limit (see `python-child.ts` for what the child does).
 *
 * Opt-in and CLI-only: the loader calls `pythonHook` only when the user passed `--python-hooks`; the server never
 * does. Calls are synchronous (one child process per call) so that a Python hook is a `HookFunction` like a native
 * one; per-document hooks (`doc_to_*`, `process_results`) answer from a memo that `prefetch` fills for many
 * documents with one process, since starting Python per document would take minutes on a real task.
 */
import { spawnSync } from "node:child_process";
import type { ErrorLocation } from "../../core/errors.ts";
import { ModelmapError } from "../../core/errors.ts";
import { PythonRandom } from "../../core/python-random.ts";
import { PYTHON_CHILD } from "./python-child.ts";
import type { Doc, HookContext, HookFunction, HookKind, ProcessedResults } from "./types.ts";

export interface PythonHookOptions {
  /** The environment the child starts from (the shell's; proxies are removed), and where MODELMAP_PYTHON is read. */
  env: NodeJS.ProcessEnv;
  /** The interpreter (default: $MODELMAP_PYTHON, else `python3` on PATH). */
  python?: string;
  /** Time limit of one child process, in milliseconds (default 120 s). */
  timeoutMs?: number;
  /** Folders put first on the child's `sys.path` (e.g. where `lm_eval` is installed). */
  pythonPath?: string[];
}

/** Which Python function: the module file (`utils.py` next to the YAML) and the function name; where it was named. */
export interface PythonHookRef {
  file: string;
  name: string;
  /** The YAML location that named the hook, for error messages. */
  location?: ErrorLocation;
}

export type PythonCall =
  | { kind: "process_docs"; docs: Doc[]; randomState?: number[] }
  | { kind: "doc_to_text" | "doc_to_target" | "doc_to_choice"; docs: Doc[] }
  | { kind: "process_results"; items: Array<{ doc: Doc; results: unknown[] }> }
  | { kind: "aggregation"; items: unknown[] }
  | { kind: "fewshot_samples" }
  | { kind: "filter"; kwargs: Record<string, unknown>; resps: unknown[]; docs: Doc[] };

export interface PythonAnswer {
  value: unknown;
  /** Python's `random` state after the call (process_docs hooks may have drawn from it). */
  randomState: number[];
  /** Which `datasets` the child used: the real package or modelmap's stand-in. */
  datasets: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

function encode(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "number" && !Number.isFinite(x)
      ? { $float: Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf" }
      : x === undefined
        ? null
        : x,
  );
}

function decode(s: string): unknown {
  return JSON.parse(s, (_k, v) => {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "$float" in v) {
      const f = (v as { $float: string }).$float;
      return f === "nan" ? Number.NaN : f === "inf" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
    return v;
  });
}

interface ChildError {
  stage: "import" | "lookup" | "call";
  type: string;
  missing?: string | null;
  message: string;
  line?: number | null;
  traceback?: string;
}

/** Runs one call of `ref` in a fresh python3 process and returns its answer, or throws a ModelmapError saying why not. */
export function runPythonHook(ref: PythonHookRef, call: PythonCall, opts: PythonHookOptions): PythonAnswer {
  const python = opts.python ?? opts.env.MODELMAP_PYTHON ?? "python3";
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `!function ${ref.name} in ${ref.file}`;
  const loc = ref.location ? { location: ref.location } : {};
  const randomState =
    call.kind === "process_docs" && call.randomState ? call.randomState : new PythonRandom(0).getState();
  const { kind, ...args } = call;
  const request = {
    module: ref.file,
    function: ref.name,
    kind,
    ...args,
    random_state: randomState,
    python_path: opts.pythonPath ?? [],
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) {
    if (v !== undefined && !/^(https?|all|ftp|no)_proxy$/i.test(k)) env[k] = v;
  }
  Object.assign(env, { PYTHONHASHSEED: "0", PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8" });
  const r = spawnSync(python, ["-c", PYTHON_CHILD], {
    input: encode(request),
    stdio: ["pipe", "pipe", "pipe", "pipe"],
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    maxBuffer: 1 << 30,
    env,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new ModelmapError("unsupported", `${where}: --python-hooks needs python3, and '${python}' was not found`, {
      ...loc,
      hint: "install python3, or point MODELMAP_PYTHON at an interpreter",
    });
  }
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
    throw new ModelmapError(
      "input",
      `${where}: the Python hook ran past its time limit of ${timeoutMs / 1000} s and was stopped`,
      loc,
    );
  }
  if (r.signal) {
    throw new ModelmapError("input", `${where}: python3 was killed by ${r.signal}`, loc);
  }
  const out = r.output[3]?.toString("utf8") ?? "";
  const stderr = r.stderr?.toString("utf8") ?? "";
  if (!out) {
    throw new ModelmapError(
      "internal",
      `${where}: python3 exited with status ${r.status} without an answer: ${stderr.slice(-2000)}`,
      loc,
    );
  }
  const answer = decode(out) as { ok?: unknown; error?: ChildError; random_state?: number[]; datasets?: string };
  if (answer.error) throw childError(where, ref, answer.error, python);
  return { value: answer.ok, randomState: answer.random_state ?? randomState, datasets: answer.datasets ?? "?" };
}

function childError(where: string, ref: PythonHookRef, e: ChildError, python: string): ModelmapError {
  const loc = ref.location ? { location: ref.location } : {};
  const at = e.line ? ` (${ref.file} line ${e.line})` : "";
  if ((e.type === "ModuleNotFoundError" || e.type === "ImportError") && e.missing) {
    return new ModelmapError("unsupported", `${where}: ${python} cannot import '${e.missing}'${at}: ${e.message}`, {
      ...loc,
      hint: `install the Python package that provides '${e.missing}' for ${python} (e.g. pip install ${e.missing.split(".")[0]})`,
    });
  }
  if (e.stage === "lookup") return new ModelmapError("input", `${where}: ${e.message}`, loc);
  const what = e.stage === "import" ? "importing the module failed" : "the hook raised";
  const tail = (e.traceback ?? "").trim().split("\n").slice(-6).join("\n");
  return new ModelmapError("input", `${where}: ${what} ${e.type}: ${e.message}${at}\n${tail}`, loc);
}

/** A Python-backed hook: the `HookFunction` the loader binds, and `prefetch` to answer many documents at once. */
export interface PythonHook {
  hook: HookFunction;
  /** Per-document kinds: computes `inputs` in one process (docs for doc_to_*, {doc, results} for process_results). */
  prefetch(inputs: Doc[] | Array<{ doc: Doc; results: unknown[] }>): void;
  /** Which `datasets` the last call used ("stand-in" or the real package's version). */
  readonly datasets: string | undefined;
}

/**
 * The hook `!function NAME` of `file` as a `HookFunction` of `kind`, run by python3. Nothing runs until it is
 * called; errors (no python3, a missing import, an exception in the hook) are ModelmapErrors naming the file,
 * line and function.
 */
export function pythonHook(ref: PythonHookRef, kind: HookKind, opts: PythonHookOptions): PythonHook {
  const memo = new Map<string, unknown>();
  let datasets: string | undefined;
  const run = (call: PythonCall) => {
    const a = runPythonHook(ref, call, opts);
    datasets = a.datasets;
    return a;
  };
  const perDoc = (doc: Doc): unknown => {
    const key = encode(doc);
    if (!memo.has(key)) {
      const k = kind as "doc_to_text" | "doc_to_target" | "doc_to_choice";
      memo.set(key, (run({ kind: k, docs: [doc] }).value as unknown[])[0]);
    }
    return memo.get(key);
  };
  const prefetch: PythonHook["prefetch"] = (inputs) => {
    if (kind === "process_results") {
      const items = inputs as Array<{ doc: Doc; results: unknown[] }>;
      const todo = items.filter((it) => !memo.has(encode([it.doc, it.results])));
      if (todo.length === 0) return;
      const values = run({ kind, items: todo }).value as unknown[];
      todo.forEach((it, i) => {
        memo.set(encode([it.doc, it.results]), values[i]);
      });
    } else if (kind === "doc_to_text" || kind === "doc_to_target" || kind === "doc_to_choice") {
      const docs = (inputs as Doc[]).filter((d) => !memo.has(encode(d)));
      if (docs.length === 0) return;
      const values = run({ kind, docs }).value as unknown[];
      docs.forEach((d, i) => {
        memo.set(encode(d), values[i]);
      });
    }
  };
  let hook: HookFunction;
  switch (kind) {
    case "process_docs":
      hook = {
        kind,
        fn: (docs: Doc[], ctx?: HookContext) => {
          const a = run({ kind, docs, ...(ctx?.random ? { randomState: ctx.random.getState() } : {}) });
          ctx?.random?.setState(a.randomState);
          return a.value as Doc[];
        },
      };
      break;
    case "doc_to_text":
      hook = { kind, fn: (doc) => perDoc(doc) as string | number };
      break;
    case "doc_to_target":
      hook = { kind, fn: (doc) => perDoc(doc) as string | number | Array<string | number> };
      break;
    case "doc_to_choice":
      hook = { kind, fn: (doc) => perDoc(doc) as string[] };
      break;
    case "process_results":
      hook = {
        kind,
        fn: (doc, results) => {
          const key = encode([doc, results]);
          if (!memo.has(key)) memo.set(key, (run({ kind, items: [{ doc, results }] }).value as unknown[])[0]);
          return memo.get(key) as ProcessedResults;
        },
      };
      break;
    case "aggregation":
      hook = { kind, fn: (items) => run({ kind, items }).value as number };
      break;
    case "fewshot_samples":
      hook = { kind, fn: () => run({ kind }).value as Doc[] };
      break;
    case "filter":
      hook = {
        kind,
        create: (kwargs) => ({ apply: (resps, docs) => run({ kind, kwargs, resps, docs }).value as unknown[] }),
      };
      break;
  }
  return {
    hook,
    prefetch,
    get datasets() {
      return datasets;
    },
  };
}

/** The message for a hook that has no native version when --python-hooks is off. */
export function unknownHookMessage(ref: PythonHookRef, why: string): ModelmapError {
  return new ModelmapError(
    "unsupported",
    `hook '!function ${ref.name}' of ${ref.file} is not implemented natively: ${why}`,
    {
      ...(ref.location ? { location: ref.location } : {}),
      hint: "run it in Python with --python-hooks (opt-in, CLI only: runs this utils.py function in a python3 child process with the network off and a time limit)",
    },
  );
}
