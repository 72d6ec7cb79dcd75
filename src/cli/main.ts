import { resolve } from "node:path";
import { exitCodeFor, ModelmapError } from "../core/errors.ts";
import { fileError } from "../core/files.ts";
import { isPostgresUrl, redactUrl } from "../store/location.ts";
import type { openStoreAt as OpenStoreAt } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import type { CliContext } from "./command.ts";
import { COMMANDS, deprecationNotice, findCommand, helpText, usageText } from "./commands.ts";
import { commandHint } from "./suggest.ts";

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
  let store: Promise<Store> | undefined;
  // Loaded only when a command runs (not for help): the SQLite driver is a native module.
  let openStoreAt: typeof OpenStoreAt | undefined;
  try {
    const { dbFlag, rest } = extractDb(argv);
    const db = dbFlag ?? env.MODELMAP_DB ?? "modelmap.db";
    // ":memory:" is SQLite's name for a database that lives and dies with the process, not a file name; a
    // postgres:// URL names a database on a PostgreSQL server.
    const location = db === ":memory:" || isPostgresUrl(db) ? db : resolve(cwd, db);
    const ctx: CliContext = {
      env,
      cwd,
      stdout,
      stderr,
      dbPath: redactUrl(location),
      signal: io.signal ?? new AbortController().signal,
      store() {
        if (!openStoreAt) throw new Error("internal: the store module is loaded before a command runs");
        // One open shared by callers that ask at once (opening a PostgreSQL store is a round trip or more).
        store ??= openStoreAt(location);
        return store;
      },
    };
    if (rest.length === 0 || rest[0] === "help" || rest[0] === "--help" || rest[0] === "-h") {
      stdout.write(await helpText(rest.slice(1)));
      return 0;
    }
    if (rest[0] === "--version" || rest[0] === "-v") {
      stdout.write("modelmap 0.1.0\n");
      return 0;
    }
    const found = findCommand(rest);
    if (!found) {
      throw new ModelmapError("usage", `unknown command '${rest.join(" ")}'`, {
        hint: commandHint(
          rest,
          COMMANDS.map((c) => c.name),
        ),
      });
    }
    const notice = deprecationNotice(found);
    if (notice) stderr.write(notice);
    const args = rest.slice(found.words);
    const command = await found.command.load();
    if (args.includes("--help") || args.includes("-h")) {
      stdout.write(usageText(command));
      return 0;
    }
    ({ openStoreAt } = await import("../store/open.ts"));
    return (await command.run(args, ctx)) ?? 0;
  } catch (caught) {
    const e = systemError(caught);
    stderr.write(`modelmap: error: ${(e as Error).message ?? String(e)}\n`);
    if (e instanceof ModelmapError && e.hint) stderr.write(`  hint: ${e.hint}\n`);
    if (!(e instanceof ModelmapError) && env.MODELMAP_DEBUG) stderr.write(`${(e as Error).stack}\n`);
    return exitCodeFor(e);
  } finally {
    // A store that failed to open has nothing to close (its error was reported above).
    await (await store?.catch(() => undefined))?.close();
  }
}

/**
 * A file-system error that escaped its reader (the readers are meant to name their files through core/files.ts)
 * still reaches the user as a user error naming the path, not as "EISDIR: illegal operation on a directory".
 */
function systemError(e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof ModelmapError || typeof err?.code !== "string" || typeof err.path !== "string") return e;
  if (!["ENOENT", "EISDIR", "ENOTDIR", "EACCES", "EPERM", "ENAMETOOLONG", "ELOOP"].includes(err.code)) return e;
  return fileError(e, err.path);
}

function extractDb(argv: string[]): { dbFlag: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let dbFlag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--db") {
      const v = argv[i + 1];
      if (v === undefined) throw new ModelmapError("usage", "--db expects a file path or a postgres:// URL");
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

if (process.argv[1] !== undefined && /cli[\\/]main\.[jt]s$/.test(process.argv[1])) {
  await runMain(process.argv.slice(2));
}
