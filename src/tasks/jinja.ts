/**
 * Jinja for task templates with Python's semantics, as lm-eval renders them (`jinja2.Environment(
 * undefined=StrictUndefined, keep_trailing_newline=True)` plus its `regex_replace` filter): `{{ x }}` is `str(x)`
 * (a list prints as `['a', 'b']`, a float as `1.0`), string and list methods are Python's (`.index`, `.strip`,
 * `.split`), an undefined variable is an error when used. Templates are parsed by @huggingface/jinja's parser
 * (its lexer and AST), without the chat-template whitespace options it turns on by default; the interpreter is
 * ours, because that library renders values the JavaScript way.
 */
import { parse, tokenize } from "@huggingface/jinja";
import { ModelmapError } from "../core/errors.ts";
import { RenderBudget } from "../templates/budget.ts";
import { callFilter, callTest, getAttr, getItem, iterate, makeGlobals } from "./jinja-builtins.ts";
import { contains, defined, fail, type PyCallable, percentFormat, slice, Undef } from "./jinja-values.ts";
import {
  isNumber,
  num,
  PyFloat,
  PyNamespace,
  PyTuple,
  pyEq,
  pyLess,
  pyStr,
  pyTruthy,
  toFloat,
  typeName,
} from "./py-values.ts";

// The AST of @huggingface/jinja, as far as we read it.
interface Node {
  type: string;
  [k: string]: unknown;
}
type Program = { type: "Program"; body: Node[] };

const cache = new Map<string, Program>();

const KNOWN_ESCAPES = new Set(["n", "t", "r", "b", "f", "v", "'", '"', "\\", "x", "u"]);

/**
 * Python keeps an unknown escape in a string literal (`'\\['` stays a backslash and a bracket, as regexes in
 * `regex_replace` need); @huggingface/jinja's lexer refuses it. Doubling the backslash of unknown escapes inside
 * `{{ }}` and `{% %}` string literals gives that lexer the text Python reads.
 */
function escapeUnknownEscapes(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const open = src.slice(i, i + 2);
    if (open !== "{{" && open !== "{%") {
      out += src[i++];
      continue;
    }
    const close = open === "{{" ? "}}" : "%}";
    out += open;
    i += 2;
    let quote: string | undefined;
    while (i < src.length) {
      const c = src[i] as string;
      if (quote) {
        if (c === "\\") {
          const next = src[i + 1] ?? "";
          out += KNOWN_ESCAPES.has(next) ? c + next : `\\\\${next}`;
          i += 2;
          continue;
        }
        if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (src.startsWith(close, i)) break;
      out += c;
      i++;
    }
  }
  return out;
}

/** Parses a template once (cached). */
export function compileTemplate(source: string, where: string): Program {
  let p = cache.get(source);
  if (p) return p;
  // Jinja normalises newlines; its lexer (unlike the chat-template one) keeps a trailing newline, and
  // @huggingface/jinja's always drops one, so give it one to drop.
  const src = `${escapeUnknownEscapes(source.replace(/\r\n?/g, "\n"))}\n`;
  try {
    p = parse(tokenize(src, {})) as unknown as Program;
  } catch (e) {
    // The parser reads past the last token when a block is left open, which surfaces as a TypeError.
    const why =
      e instanceof TypeError
        ? "unexpected end of template (is a {% if %}, {% for %}, {% set %} or {% macro %} block not closed?)"
        : (e as Error).message;
    throw new ModelmapError("template", `${where}: cannot parse Jinja template: ${why}`, {
      hint: `template: ${JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}...` : source)}`,
    });
  }
  if (cache.size > 5000) cache.clear();
  cache.set(source, p);
  return p;
}

class Scope {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent?: Scope) {}

  get(name: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
    return undefined;
  }

  has(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return true;
    return false;
  }
}

const LITERALS: Record<string, unknown> = {
  true: true,
  True: true,
  false: false,
  False: false,
  none: null,
  None: null,
};

class LoopControl {
  constructor(readonly kind: "break" | "continue") {}
}

class Interpreter {
  private readonly globals = makeGlobals();

  // Every render spends a budget (templates/budget.ts): a loop in doc_to_text aborted V8 at 2.7 GB.
  constructor(
    private readonly ctx: Record<string, unknown>,
    private readonly budget = new RenderBudget(),
  ) {
    const range = this.globals.range as PyCallable;
    this.globals.range = ((a: unknown[], kw: Record<string, unknown>) => {
      const [start, stop, step] = a.length === 1 ? [0, num(a[0]), 1] : [num(a[0]), num(a[1]), num(a[2] ?? 1)];
      budget.rangeSize(start, stop, step);
      return range(a, kw);
    }) as PyCallable;
  }

  run(p: Program): string {
    return this.block(p.body, new Scope());
  }

  block(body: Node[], scope: Scope): string {
    let out = "";
    for (const n of body) out = this.budget.check(out + this.statement(n, scope));
    return out;
  }

  statement(n: Node, scope: Scope): string {
    this.budget.tick();
    switch (n.type) {
      case "Comment":
        return "";
      case "If":
        return pyTruthy(this.test(n.test as Node, scope))
          ? this.block(n.body as Node[], scope)
          : this.block(n.alternate as Node[], scope);
      case "For":
        return this.forLoop(n, scope);
      case "Set":
        this.set(n, scope);
        return "";
      case "Macro":
        this.macro(n, scope);
        return "";
      case "FilterStatement": {
        const text = this.block(n.body as Node[], scope);
        return pyStr(this.filter(text, n.filter as Node, scope));
      }
      case "Break":
        throw new LoopControl("break");
      case "Continue":
        throw new LoopControl("continue");
      case "CallStatement":
        return fail("{% call %} blocks are not supported");
      default:
        return pyStr(defined(this.expr(n, scope)));
    }
  }

  /** A condition: undefined values are errors (StrictUndefined has no truth value). */
  test(n: Node, scope: Scope): unknown {
    return defined(this.expr(n, scope));
  }

  forLoop(n: Node, scope: Scope): string {
    let iterNode = n.iterable as Node;
    let cond: Node | undefined;
    if (iterNode.type === "SelectExpression") {
      cond = iterNode.test as Node;
      iterNode = iterNode.lhs as Node;
    }
    const all = iterate(defined(this.expr(iterNode, scope)));
    const items: unknown[] = [];
    if (cond) {
      for (const it of all) {
        const s = new Scope(scope);
        this.bind(n.loopvar as Node, it, s);
        if (pyTruthy(this.test(cond, s))) items.push(it);
      }
    } else items.push(...all);
    if (items.length === 0) return this.block((n.defaultBlock as Node[] | undefined) ?? [], scope);
    let out = "";
    for (let i = 0; i < items.length; i++) {
      const s = new Scope(scope);
      this.bind(n.loopvar as Node, items[i], s);
      const len = items.length;
      const loop: Record<string, unknown> = {
        index: i + 1,
        index0: i,
        revindex: len - i,
        revindex0: len - i - 1,
        first: i === 0,
        last: i === len - 1,
        length: len,
        previtem: i > 0 ? items[i - 1] : new Undef("loop.previtem"),
        nextitem: i < len - 1 ? items[i + 1] : new Undef("loop.nextitem"),
        cycle: ((args: unknown[]) => args[i % args.length]) as PyCallable,
      };
      s.vars.set("loop", loop);
      try {
        out += this.block(n.body as Node[], s);
      } catch (e) {
        if (!(e instanceof LoopControl)) throw e;
        if (e.kind === "break") break;
      }
    }
    return out;
  }

  bind(target: Node, value: unknown, scope: Scope): void {
    if (target.type === "Identifier") {
      scope.vars.set(target.value as string, value);
      return;
    }
    if (target.type === "TupleLiteral") {
      const names = target.value as Node[];
      const vals = iterate(defined(value));
      if (vals.length !== names.length) fail(`cannot unpack ${vals.length} values into ${names.length} names`);
      names.forEach((t, i) => {
        this.bind(t, vals[i], scope);
      });
      return;
    }
    if (target.type === "MemberExpression" && !(target.computed as boolean)) {
      const obj = defined(this.expr(target.object as Node, scope));
      if (!(obj instanceof PyNamespace)) fail("can only set attributes of a namespace()");
      obj.attrs.set((target.property as Node).value as string, value);
      return;
    }
    fail(`cannot assign to ${target.type}`);
  }

  set(n: Node, scope: Scope): void {
    const value = this.budget.check(n.value ? this.expr(n.value as Node, scope) : this.block(n.body as Node[], scope));
    this.bind(n.assignee as Node, value, scope);
  }

  macro(n: Node, scope: Scope): void {
    const name = (n.name as Node).value as string;
    const params = n.args as Node[];
    const body = n.body as Node[];
    const fn: PyCallable = (args, kwargs) => {
      const s = new Scope(scope);
      params.forEach((p, i) => {
        const pname = (p.type === "Identifier" ? p.value : (p.key as Node).value) as string;
        if (i < args.length) s.vars.set(pname, args[i]);
        else if (Object.hasOwn(kwargs, pname)) s.vars.set(pname, kwargs[pname]);
        else if (p.type === "KeywordArgumentExpression") s.vars.set(pname, this.expr(p.value as Node, scope));
        else s.vars.set(pname, new Undef(pname));
      });
      return this.block(body, s);
    };
    scope.vars.set(name, fn);
  }

  lookup(name: string, scope: Scope): unknown {
    if (Object.hasOwn(LITERALS, name)) return LITERALS[name];
    if (scope.has(name)) return scope.get(name);
    if (Object.hasOwn(this.ctx, name)) return this.ctx[name];
    if (Object.hasOwn(this.globals, name)) return this.globals[name];
    return new Undef(name);
  }

  expr(n: Node, scope: Scope): unknown {
    this.budget.tick();
    switch (n.type) {
      case "StringLiteral":
        return n.value as string;
      case "IntegerLiteral":
        return n.value as number;
      case "FloatLiteral":
        return toFloat(n.value as number);
      case "ArrayLiteral":
        return (n.value as Node[]).map((x) => defined(this.expr(x, scope)));
      case "TupleLiteral":
        return PyTuple.of2((n.value as Node[]).map((x) => defined(this.expr(x, scope))));
      case "ObjectLiteral": {
        const out: Record<string, unknown> = {};
        for (const [k, v] of n.value as Map<Node, Node>) out[pyStr(defined(this.expr(k, scope)))] = this.expr(v, scope);
        return out;
      }
      case "Identifier":
        return this.lookup(n.value as string, scope);
      case "MemberExpression":
        return this.member(n, scope);
      case "CallExpression":
        return this.call(n, scope);
      case "UnaryExpression":
        return this.unary(n, scope);
      case "BinaryExpression":
        return this.binary(n, scope);
      case "FilterExpression":
        return this.filter(this.expr(n.operand as Node, scope), n.filter as Node, scope);
      case "TestExpression": {
        const t = n.test as Node;
        const r = callTest(t.value as string, this.expr(n.operand as Node, scope), []);
        return (n.negate as boolean) ? !r : r;
      }
      case "SelectExpression":
        return pyTruthy(this.test(n.test as Node, scope))
          ? this.expr(n.lhs as Node, scope)
          : new Undef("(if without else)");
      case "Ternary":
        return pyTruthy(this.test(n.condition as Node, scope))
          ? this.expr(n.trueExpr as Node, scope)
          : this.expr(n.falseExpr as Node, scope);
      default:
        return fail(`unsupported expression ${n.type}`);
    }
  }

  member(n: Node, scope: Scope): unknown {
    const obj = defined(this.expr(n.object as Node, scope));
    const prop = n.property as Node;
    if (!(n.computed as boolean)) {
      if (prop.type === "IntegerLiteral") return getItem(obj, prop.value as number);
      return getAttr(obj, prop.value as string);
    }
    if (prop.type === "SliceExpression") {
      const ev = (x: unknown) => (x ? defined(this.expr(x as Node, scope)) : undefined);
      return slice(obj, ev(prop.start), ev(prop.stop), ev(prop.step));
    }
    return getItem(obj, defined(this.expr(prop, scope)));
  }

  args(nodes: Node[], scope: Scope): { args: unknown[]; kwargs: Record<string, unknown> } {
    const args: unknown[] = [];
    const kwargs: Record<string, unknown> = {};
    for (const a of nodes) {
      if (a.type === "KeywordArgumentExpression")
        kwargs[(a.key as Node).value as string] = this.expr(a.value as Node, scope);
      else if (a.type === "SpreadExpression") args.push(...iterate(defined(this.expr(a.argument as Node, scope))));
      else args.push(this.expr(a, scope));
    }
    return { args, kwargs };
  }

  call(n: Node, scope: Scope): unknown {
    const fn = defined(this.expr(n.callee as Node, scope));
    if (typeof fn !== "function") fail(`'${typeName(fn)}' object is not callable`);
    const { args, kwargs } = this.args(n.args as Node[], scope);
    return (fn as PyCallable)(args.map(defined), kwargs);
  }

  filter(value: unknown, f: Node, scope: Scope): unknown {
    if (f.type === "Identifier") return callFilter(f.value as string, value, [], {});
    const callee = f.callee as Node;
    const { args, kwargs } = this.args(f.args as Node[], scope);
    return callFilter(callee.value as string, value, args, kwargs);
  }

  unary(n: Node, scope: Scope): unknown {
    const op = (n.operator as { value: string }).value;
    const v = defined(this.expr(n.argument as Node, scope));
    if (op === "not") return !pyTruthy(v);
    if (!isNumber(v) && typeof v !== "boolean") fail(`bad operand type for unary ${op}: '${typeName(v)}'`);
    if (op === "+") return v;
    return v instanceof PyFloat ? new PyFloat(-v.value) : -num(v);
  }

  binary(n: Node, scope: Scope): unknown {
    const op = (n.operator as { value: string }).value;
    if (op === "and") {
      const l = this.test(n.left as Node, scope);
      return pyTruthy(l) ? this.test(n.right as Node, scope) : l;
    }
    if (op === "or") {
      const l = this.test(n.left as Node, scope);
      return pyTruthy(l) ? l : this.test(n.right as Node, scope);
    }
    const a = defined(this.expr(n.left as Node, scope));
    const b = defined(this.expr(n.right as Node, scope));
    if (op === "*") this.budget.repetition(a, b);
    return this.budget.check(binaryOp(op, a, b));
  }
}

function arith(a: unknown, b: unknown, f: (x: number, y: number) => number, intResult: boolean): unknown {
  const r = f(num(a), num(b));
  return intResult && !isFloatish(a) && !isFloatish(b) ? r : toFloat(r);
}

function isFloatish(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v));
}

function isNumeric(v: unknown): boolean {
  return isNumber(v) || typeof v === "boolean";
}

export function binaryOp(op: string, a: unknown, b: unknown): unknown {
  switch (op) {
    case "==":
      return pyEq(a, b);
    case "!=":
      return !pyEq(a, b);
    case "<":
      return pyLess(a, b);
    case ">":
      return pyLess(b, a);
    case "<=":
      return !pyLess(b, a);
    case ">=":
      return !pyLess(a, b);
    case "in":
      return contains(b, a);
    case "not in":
      return !contains(b, a);
    case "~":
      return pyStr(a) + pyStr(b);
    case "+":
      if (typeof a === "string" && typeof b === "string") return a + b;
      if (Array.isArray(a) && Array.isArray(b)) {
        const out = [...a, ...b];
        return a instanceof PyTuple ? PyTuple.of2(out) : out;
      }
      if (isNumeric(a) && isNumeric(b)) return arith(a, b, (x, y) => x + y, true);
      return fail(`unsupported operand types for +: '${typeName(a)}' and '${typeName(b)}'`);
    case "-":
      if (isNumeric(a) && isNumeric(b)) return arith(a, b, (x, y) => x - y, true);
      return fail(`unsupported operand types for -: '${typeName(a)}' and '${typeName(b)}'`);
    case "*":
      if (typeof a === "string" && typeof b === "number") return a.repeat(Math.max(0, b));
      if (typeof b === "string" && typeof a === "number") return b.repeat(Math.max(0, a));
      if (Array.isArray(a) && typeof b === "number") return Array.from({ length: Math.max(0, b) }, () => a).flat();
      if (isNumeric(a) && isNumeric(b)) return arith(a, b, (x, y) => x * y, true);
      return fail(`unsupported operand types for *: '${typeName(a)}' and '${typeName(b)}'`);
    case "/":
      if (num(b) === 0) fail("division by zero");
      return toFloat(num(a) / num(b));
    case "//":
      if (num(b) === 0) fail("integer division or modulo by zero");
      return arith(a, b, (x, y) => Math.floor(x / y), true);
    case "%":
      if (typeof a === "string") return percentFormat(a, b);
      if (num(b) === 0) fail("integer division or modulo by zero");
      return arith(a, b, (x, y) => ((x % y) + y) % y, true);
    case "**":
      return arith(a, b, (x, y) => x ** y, num(b) >= 0);
    default:
      return fail(`unsupported operator ${op}`);
  }
}

/** Renders a template against a context (a document's fields), as lm-eval's `apply_template`. */
export function renderTemplate(source: string, ctx: Record<string, unknown>, where: string): string {
  const program = compileTemplate(source, where);
  try {
    return new Interpreter(ctx).run(program);
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw new ModelmapError("template", `${where}: ${(e as Error).message}`, {
      hint: `template: ${JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}...` : source)}`,
    });
  }
}

/** Evaluates one Jinja expression (no braces) to its value: a list stays a list, a number a number. */
export function evaluateExpression(expr: string, ctx: Record<string, unknown>, where: string): unknown {
  const program = compileTemplate(`{{ ${expr} }}`, where);
  const node = program.body[0];
  if (program.body.length !== 1 || !node)
    throw new ModelmapError("template", `${where}: '${expr}' is not one expression`);
  try {
    return defined(new Interpreter(ctx).expr(node, new Scope()));
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw new ModelmapError("template", `${where}: expression '${expr}': ${(e as Error).message}`);
  }
}
