import { type ParseArgsConfig, parseArgs } from "node:util";
import { ModelmapError } from "../core/errors.ts";
import type { Store, VoteQuery } from "../store/store.ts";
import { optionHint } from "./suggest.ts";

/** What a command may touch. The core never reads process globals; the CLI hands them in here. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdout: { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Path of the database (from --db, MODELMAP_DB, or ./modelmap.db). */
  readonly dbPath: string;
  /** Opens the store on first use; the CLI closes it at exit. */
  store(): Promise<Store>;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

export interface Command {
  /** One or more words, e.g. "rank" or "votes import". */
  name: string;
  summary: string;
  /** Usage text shown by `modelmap help NAME`. */
  usage: string;
  /**
   * Old spellings kept for one release after a rename: each runs this command and prints a one-line
   * deprecation notice on stderr.
   */
  deprecatedNames?: readonly string[];
  run(argv: string[], ctx: CliContext): Promise<number | undefined> | number | undefined;
}

type Options = NonNullable<ParseArgsConfig["options"]>;
/** Named so that the emitted declarations can spell it (util does not export its result type). */
type ParsedFlags<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean; allowNegative: true }>
>;

/**
 * parseArgs reads `--limit -5` as the option `--limit` followed by the option `-5` and reports the argument as
 * "ambiguous"; a negative number after an option that takes a value is that option's value, so it is joined as
 * `--limit=-5` (and the range check then says what is allowed).
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    const name = a.startsWith("--") ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === "string" && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** parseArgs with strict checking, turning its errors into usage errors that name the command. */
export function parseFlags<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = true,
): ParsedFlags<O> {
  try {
    const args = joinNegativeValues(argv, options);
    return parseArgs({ args, options, strict: true, allowPositionals, allowNegative: true });
  } catch (e) {
    const message = (e as Error).message;
    throw new ModelmapError("usage", `${command}: ${message}`, {
      hint: optionHint(command, message, Object.keys(options)),
    });
  }
}

export function requireString(command: string, value: unknown, flag: string): string {
  if (typeof value !== "string" || value === "") throw new ModelmapError("usage", `${command}: ${flag} is required`);
  return value;
}

/** `--format text|json` (default text). */
export function textOrJson(command: string, value: string | undefined): "text" | "json" {
  const format = value ?? "text";
  if (format !== "text" && format !== "json")
    throw new ModelmapError("usage", `${command}: --format expects text or json, got '${format}'`);
  return format;
}

export function parseNumberFlag(
  command: string,
  flag: string,
  value: unknown,
  opts: { int?: boolean; min?: number; max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(n) || (opts.int && !Number.isInteger(n))) {
    throw new ModelmapError(
      "usage",
      `${command}: ${flag} expects ${opts.int ? "an integer" : "a number"}, got '${String(value)}'`,
    );
  }
  if (opts.min !== undefined && n < opts.min)
    throw new ModelmapError("usage", `${command}: ${flag} must be >= ${opts.min}, got ${n}`);
  if (opts.max !== undefined && n > opts.max)
    throw new ModelmapError("usage", `${command}: ${flag} must be <= ${opts.max}, got ${n}`);
  return n;
}

/** Parses repeated `field=value` flags. */
export function parseKeyValues(
  command: string,
  flag: string,
  values: string[] | undefined,
): Array<{ field: string; value: string }> {
  return (values ?? []).map((s) => {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new ModelmapError("usage", `${command}: ${flag} expects field=value, got '${s}'`);
    return { field: s.slice(0, eq).trim(), value: s.slice(eq + 1).trim() };
  });
}

/** A comma-separated flag value as a list (blank entries dropped). */
export function splitList(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
}

/** The stored-vote query of `--source S` (repeatable) and `--filter field=value` (repeatable). */
export function voteQuery(
  command: string,
  values: { source?: string[] | undefined; filter?: string[] | undefined },
): VoteQuery {
  const q: VoteQuery = {};
  if (values.source?.length) q.sources = values.source;
  const filters = parseKeyValues(command, "--filter", values.filter);
  if (filters.length) q.filters = filters;
  return q;
}
