import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * The flags a worker thread should start with: the process's own (a loader such as tsx's, source maps, conditions),
 * less `-e CODE`, `--input-type` and the flags a worker refused earlier in this process (see `newWorker`). A process
 * started as `node --input-type=module -e ...` (or reading its code from standard input) has it among its flags,
 * and a worker that inherits it fails to start from a file ("--input-type can only be used with string input") or,
 * from an eval'd CommonJS string, runs it as an ES module ("require is not defined").
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const name = a.split("=", 1)[0] as string;
    if (SCRIPT.has(name)) {
      if (!a.includes("=")) i++; // the code is the next argument, whatever it starts with
    } else if (name === "--input-type" || refused.has(name)) {
      // A value given as the next argument goes with its flag.
      if (!a.includes("=") && i + 1 < argv.length && !(argv[i + 1] as string).startsWith("-")) i++;
    } else out.push(a);
  }
  return out;
}

/** The process's own code given on the command line (`node -e CODE`): not a flag for a worker. */
const SCRIPT = new Set(["-e", "--eval", "-p", "--print"]);

/** Flag names a worker refused in this process. */
const refused = new Set<string>();

/**
 * A worker thread with `workerExecArgv()`'s flags. V8's flags and the process-wide ones (`--max-old-space-size`,
 * `--stack-size`, `--title`) already apply to every thread, and a Worker given them explicitly throws
 * ERR_WORKER_INVALID_EXEC_ARGV, which names them: they are dropped (for the rest of the process) and the worker
 * started again. So `node --max-old-space-size=4096 bin/modelmap.js rank ...` runs its bootstrap threads.
 */
export function newWorker(script: string | URL, options: Omit<WorkerOptions, "execArgv"> = {}): Worker {
  try {
    return new Worker(script, { ...options, execArgv: workerExecArgv() });
  } catch (e) {
    const names = (e as { code?: string }).code === "ERR_WORKER_INVALID_EXEC_ARGV" ? refusedIn(e as Error) : [];
    if (names.length === 0) throw e;
    for (const n of names) refused.add(n);
    return new Worker(script, { ...options, execArgv: workerExecArgv() });
  }
}

/** The flag names in Node's "Initiated Worker with invalid execArgv flags: --a=1, --b" message. */
function refusedIn(e: Error): string[] {
  const list = /flags: (.*)$/s.exec(e.message)?.[1] ?? "";
  return list
    .split(", ")
    .map((f) => f.split("=", 1)[0] as string)
    .filter((f) => f.startsWith("-"));
}
