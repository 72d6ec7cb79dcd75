import { resolve } from "node:path";
import { exitCodeFor, ModelmapError } from "../core/errors.ts";
import { openStore } from "../store/sqlite/index.ts";
import type { Store } from "../store/store.ts";
import type { CliContext } from "./command.ts";
import { deprecationNotice, findCommand, helpText } from "./commands.ts";

/** Runs the CLI with the given arguments and returns the exit code. Exported for end-to-end tests. */
export async function runCli(
  argv: string[],
  io: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    stdout?: CliContext["stdout"];
    stderr?: CliContext["stderr"];
    signal?: AbortSignal;
  } = {},
): Promise<number> {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let store: Store | undefined;
  try {
    const { dbFlag, rest } = extractDb(argv);
    const dbPath = resolve(cwd, dbFlag ?? env.MODELMAP_DB ?? "modelmap.db");
    const ctx: CliContext = {
      env,
      cwd,
      stdout,
      stderr,
      dbPath,
      signal: io.signal ?? new AbortController().signal,
      store() {
        store ??= openStore(dbPath);
        return store;
      },
    };
    if (rest.length === 0 || rest[0] === "help" || rest[0] === "--help" || rest[0] === "-h") {
      stdout.write(helpText(rest.slice(1)));
      return 0;
    }
    if (rest[0] === "--version" || rest[0] === "-v") {
      stdout.write("modelmap 0.1.0\n");
      return 0;
    }
    const found = findCommand(rest);
    if (!found) {
      throw new ModelmapError("usage", `unknown command '${rest.join(" ")}'`, {
        hint: "run 'modelmap help' for the list of commands",
      });
    }
    const notice = deprecationNotice(found);
    if (notice) stderr.write(notice);
    const args = rest.slice(found.words);
    if (args.includes("--help") || args.includes("-h")) {
      stdout.write(`${found.command.usage.trimEnd()}\n`);
      return 0;
    }
    return (await found.command.run(args, ctx)) ?? 0;
  } catch (e) {
    stderr.write(`modelmap: error: ${(e as Error).message ?? String(e)}\n`);
    if (e instanceof ModelmapError && e.hint) stderr.write(`  hint: ${e.hint}\n`);
    if (!(e instanceof ModelmapError) && env.MODELMAP_DEBUG) stderr.write(`${(e as Error).stack}\n`);
    return exitCodeFor(e);
  } finally {
    store?.close();
  }
}

function extractDb(argv: string[]): { dbFlag: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let dbFlag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--db") {
      const v = argv[i + 1];
      if (v === undefined) throw new ModelmapError("usage", "--db expects a file path");
      dbFlag = v;
      i++;
    } else if (a.startsWith("--db=")) {
      dbFlag = a.slice(5);
    } else {
      rest.push(a);
    }
  }
  return { dbFlag, rest };
}

/** Entry point for the bin and `npm start`: wires process signals and exits with the command's code. */
export async function runMain(argv: string[]): Promise<void> {
  const ac = new AbortController();
  const onSignal = () => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort(new ModelmapError("aborted", "interrupted"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.exitCode = await runCli(argv, { signal: ac.signal });
}

if (process.argv[1] !== undefined && /cli[\\/]main\.ts$/.test(process.argv[1])) {
  await runMain(process.argv.slice(2));
}
