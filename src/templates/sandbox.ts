/**
 * Parsing and rendering of untrusted Jinja chat templates. @huggingface/jinja interprets an AST and never
 * evaluates host code, so a template cannot run code; what it can still do is loop for a very long time or
 * build huge strings. This module bounds both: every AST node evaluated counts as a step, the clock is checked
 * every few hundred steps, every string and list a node produces is size-checked, and `range()` refuses to
 * allocate more than the item limit. Errors are ModelmapError("template") pointing at a line and column of
 * the template where one can be found.
 */
import * as jinja from "@huggingface/jinja";
import { ModelmapError } from "../core/errors.ts";
import { LimitExceeded, RenderBudget, type RenderLimits } from "./budget.ts";

export { DEFAULT_LIMITS, type RenderLimits } from "./budget.ts";

/** Templates larger than this are refused before lexing (official ones are under 20 KB). */
export const MAX_TEMPLATE_CHARS = 512 * 1024;

// The package's .d.ts files import "./runtime" without an extension, which NodeNext resolution cannot follow,
// so its classes arrive untyped; these are the few shapes this module relies on.
interface Token {
  value: string;
  type: string;
}
interface JinjaNode {
  type: string;
}
type Program = JinjaNode;
interface JinjaValue {
  type: string;
  value: unknown;
}
interface JinjaEnvironment {
  set(name: string, value: unknown): unknown;
}
interface JinjaInterpreter {
  evaluateBlock(statements: JinjaNode[], env: JinjaEnvironment): JinjaValue;
  evaluate(node: JinjaNode | undefined, env: JinjaEnvironment): JinjaValue;
  run(program: Program): JinjaValue;
}
const tokenize = jinja.tokenize as (src: string, opts: { lstrip_blocks: boolean; trim_blocks: boolean }) => Token[];
const parse = jinja.parse as (tokens: Token[]) => Program;
const Environment = jinja.Environment as new () => JinjaEnvironment;
const Interpreter = jinja.Interpreter as new (env: JinjaEnvironment) => JinjaInterpreter;

export interface CompiledTemplate {
  /** Where the template came from, used in error messages (a file path or e.g. "gguf:model.gguf"). */
  origin: string;
  source: string;
  program: Program;
}

export interface SourcePosition {
  line: number;
  column: number;
}

/** 1-based line and column of a character offset. */
export function positionAt(source: string, offset: number): SourcePosition {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function templateError(origin: string, message: string, source: string, pos?: SourcePosition): ModelmapError {
  let excerpt = "";
  if (pos) {
    const line = source.split("\n")[pos.line - 1] ?? "";
    const start = Math.max(0, pos.column - 41);
    excerpt = `\n  ${line.slice(start, start + 80)}\n  ${" ".repeat(pos.column - 1 - start)}^`;
  }
  const where = pos ? ` (line ${pos.line}, column ${pos.column})` : "";
  const location: { file: string; line?: number } = { file: origin };
  if (pos) location.line = pos.line;
  return new ModelmapError("template", `chat template${where}: ${message}${excerpt}`, {
    location,
    hint: "fix the template, or choose another with template.source / template.name in modelmap.yaml",
  });
}

/** Offsets of tokens in the original source. Token values are substrings of it except decoded string literals. */
function tokenOffsets(source: string, tokens: Token[]): number[] {
  const out: number[] = [];
  let pos = 0;
  for (const t of tokens) {
    let at = t.value === "" ? -1 : source.indexOf(t.value, pos);
    if (t.type === "StringLiteral") {
      const q = /['"]/g;
      q.lastIndex = pos;
      const m = q.exec(source);
      at = m ? m.index : -1;
    }
    if (at < 0) at = pos;
    out.push(at);
    pos = t.type === "StringLiteral" ? at + 1 : at + t.value.length;
  }
  return out;
}

/** Finds where a lexer error happens: the first line whose prefix fails with the same message. */
function lexerErrorPosition(source: string, message: string): SourcePosition | undefined {
  const lines = source.split("\n");
  if (lines.length > 5000) return undefined;
  let prefix = "";
  for (let i = 0; i < lines.length; i++) {
    prefix += (i > 0 ? "\n" : "") + lines[i];
    try {
      tokenize(`${prefix}\n`, { lstrip_blocks: true, trim_blocks: true });
    } catch (e) {
      if ((e as Error).message === message) {
        const col = /end of input/i.test(message) ? (lines[i]?.length ?? 0) + 1 : 1;
        return { line: i + 1, column: col };
      }
    }
  }
  return undefined;
}

/** Parses a template; throws ModelmapError("template") with a line and column on failure. */
export function compileTemplate(source: string, origin = "template"): CompiledTemplate {
  if (source.length > MAX_TEMPLATE_CHARS)
    throw templateError(origin, `template is ${source.length} characters; the limit is ${MAX_TEMPLATE_CHARS}`, "");
  let tokens: Token[];
  try {
    tokens = tokenize(source, { lstrip_blocks: true, trim_blocks: true });
  } catch (e) {
    const message = (e as Error).message;
    throw templateError(origin, `syntax error: ${message}`, source, lexerErrorPosition(source, message));
  }
  // The parser reads tokens by index and reports no position; the furthest index it read is where it failed.
  let furthest = 0;
  const watched = new Proxy(tokens, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) furthest = Math.max(furthest, Number(prop));
      return Reflect.get(target, prop, receiver);
    },
  });
  try {
    return { origin, source, program: parse(watched) };
  } catch (e) {
    const offsets = tokenOffsets(source, tokens);
    const atEnd = furthest >= tokens.length;
    const offset = atEnd ? source.length : (offsets[furthest] ?? source.length);
    const raw = (e as Error).message;
    const message = atEnd
      ? "unexpected end of template (is a {% if %}, {% for %} or {% macro %} block not closed?)"
      : `syntax error near '${tokens[furthest]?.value ?? ""}': ${raw}`;
    throw templateError(origin, message, source, positionAt(source, offset));
  }
}

/** An interpreter that spends a RenderBudget: every node evaluated is a step, every value produced is sized. */
class BoundedInterpreter extends Interpreter {
  /** Names seen most recently (identifiers, filters, calls): used to point at a runtime error. */
  lastName: string | undefined;

  constructor(
    env: JinjaEnvironment,
    private readonly budget: RenderBudget,
  ) {
    super(env);
  }

  // Loop bodies run through evaluateBlock even when empty, so counting here bounds empty loops too.
  override evaluateBlock(statements: JinjaNode[], environment: JinjaEnvironment): JinjaValue {
    this.budget.tick();
    return super.evaluateBlock(statements, environment);
  }

  override evaluate(statement: JinjaNode | undefined, environment: JinjaEnvironment): JinjaValue {
    this.budget.tick();
    if (statement?.type === "Identifier") this.lastName = (statement as unknown as { value: string }).value;
    const result = super.evaluate(statement, environment);
    this.budget.check(result.value);
    return result;
  }
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The strftime subset chat templates use (Llama 3.x writes today's date), against an injected clock. */
export function strftime(format: string, d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return format.replace(/%([a-zA-Z%])/g, (m, c: string) => {
    switch (c) {
      case "d":
        return pad(d.getUTCDate());
      case "m":
        return pad(d.getUTCMonth() + 1);
      case "Y":
        return String(d.getUTCFullYear());
      case "y":
        return pad(d.getUTCFullYear() % 100);
      case "b":
        return (MONTHS[d.getUTCMonth()] ?? "").slice(0, 3);
      case "B":
        return MONTHS[d.getUTCMonth()] ?? "";
      case "a":
        return (DAYS[d.getUTCDay()] ?? "").slice(0, 3);
      case "A":
        return DAYS[d.getUTCDay()] ?? "";
      case "H":
        return pad(d.getUTCHours());
      case "M":
        return pad(d.getUTCMinutes());
      case "S":
        return pad(d.getUTCSeconds());
      case "%":
        return "%";
      default:
        return m;
    }
  });
}

export interface RenderOptions {
  limits?: Partial<RenderLimits>;
  /** The clock `strftime_now` reads; fixed in evaluation runs so that prompts are reproducible. */
  now?: Date;
}

/** Renders a compiled template with the given variables, within the limits. */
export function renderCompiled(
  compiled: CompiledTemplate,
  variables: Record<string, unknown>,
  opts: RenderOptions = {},
): string {
  const budget = new RenderBudget(opts.limits);
  const now = opts.now ?? new Date();
  const env = new Environment();
  // The same globals @huggingface/jinja's Template.render sets (raise_exception is one of them), with range()
  // bounded and strftime_now reading the injected clock.
  env.set("false", false);
  env.set("true", true);
  env.set("none", null);
  env.set("False", false);
  env.set("True", true);
  env.set("None", null);
  env.set("raise_exception", (msg: unknown) => {
    throw new TemplateRaised(String(msg));
  });
  env.set("range", (start: number, stop?: number, step?: number) => budget.range(start, stop, step));
  env.set("strftime_now", (fmt: unknown) => strftime(String(fmt), now));
  for (const [k, v] of Object.entries(variables)) env.set(k, v);
  const interp = new BoundedInterpreter(env, budget);
  try {
    const out = interp.run(compiled.program).value;
    if (typeof out !== "string") throw new Error("template did not produce text");
    return out;
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof TemplateRaised) {
      const pos =
        locate(compiled.source, new RegExp(escapeRegExp(message.slice(0, 60)))) ??
        locate(compiled.source, /raise_exception/);
      throw templateError(compiled.origin, `the template raised an exception: ${message}`, compiled.source, pos);
    }
    if (e instanceof LimitExceeded) throw templateError(compiled.origin, `limit exceeded: ${message}`, compiled.source);
    if (e instanceof RangeError && /call stack|string length|array length/i.test(message))
      throw templateError(compiled.origin, `limit exceeded: ${message}`, compiled.source);
    // The interpreter keeps no positions; point at the unknown filter or test the message names, else at the
    // name evaluated last.
    const filter = /(?:filter|test): (\w+)/.exec(message)?.[1];
    const name = filter ?? interp.lastName;
    const pattern = filter
      ? `(?:\\||\\bis\\s+(?:not\\s+)?)\\s*${escapeRegExp(filter)}\\b`
      : `\\b${escapeRegExp(name ?? "")}\\b`;
    const pos = name ? locate(compiled.source, new RegExp(pattern)) : undefined;
    const near = name && !filter ? ` (last name evaluated: '${name}')` : "";
    throw templateError(compiled.origin, `render error: ${message}${near}`, compiled.source, pos);
  }
}

/** Thrown by the template's own raise_exception(): the template rejected its input on purpose. */
export class TemplateRaised extends Error {}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** First match of `re` inside a {{ }} or {% %} tag (names in plain text are not code). */
function locate(source: string, re: RegExp): SourcePosition | undefined {
  for (const tag of source.matchAll(/\{[{%][\s\S]*?[}%]\}/g)) {
    const m = re.exec(tag[0]);
    if (m) return positionAt(source, (tag.index ?? 0) + m.index);
  }
  return undefined;
}
