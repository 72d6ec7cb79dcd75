/**
 * The runtime values shared by the Jinja interpreter and its built-ins: the strict undefined value, errors, and
 * the Python operations both need (`in`, slicing, `%` formatting).
 */
import { chars, isDict, num, PyTuple, pyEq, pyStr, sliceIndices, typeName } from "./py-values.ts";

/** A value that was looked up and not found: an error as soon as it is used (StrictUndefined). */
export class Undef {
  constructor(readonly name: string) {}
}

export class JinjaError extends Error {}

export function fail(what: string): never {
  throw new JinjaError(what);
}

export function defined<T>(v: T | Undef): T {
  if (v instanceof Undef) fail(`'${v.name}' is undefined`);
  return v;
}

/** A JS function callable from templates: positional arguments and keyword arguments. */
export type PyCallable = (args: unknown[], kwargs: Record<string, unknown>) => unknown;

export function contains(container: unknown, item: unknown): boolean {
  if (typeof container === "string") {
    if (typeof item !== "string") fail(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => pyEq(x, item));
  if (isDict(container)) return Object.hasOwn(container, pyStr(item));
  return fail(`argument of type '${typeName(container)}' is not iterable`);
}

export function slice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (typeof obj === "string") {
    const cs = chars(obj);
    return sliceIndices(cs.length, start, stop, step)
      .map((i) => cs[i])
      .join("");
  }
  if (Array.isArray(obj)) {
    const out = sliceIndices(obj.length, start, stop, step).map((i) => obj[i]);
    return obj instanceof PyTuple ? PyTuple.of2(out) : out;
  }
  return fail(`'${typeName(obj)}' object is not subscriptable`);
}

/** Python's printf-style `%` formatting: %s %r %d %i %f %e %g %x %o %c %%, flags, width, precision, %(name)s. */
export function percentFormat(fmt: string, arg: unknown): string {
  const args = arg instanceof PyTuple ? [...arg] : [arg];
  let ai = 0;
  const next = (name?: string): unknown => {
    if (name !== undefined) {
      if (!isDict(arg)) fail("format requires a mapping");
      return arg[name];
    }
    if (ai >= args.length) fail("not enough arguments for format string");
    return args[ai++];
  };
  const out = fmt.replace(
    /%(?:\(([^)]*)\))?([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([sdirfFeEgGxXoc%])/g,
    (
      _m,
      name: string | undefined,
      flags: string,
      width: string | undefined,
      prec: string | undefined,
      conv: string,
    ) => {
      if (conv === "%") return "%";
      const v = next(name);
      let s: string;
      const p = prec === undefined ? undefined : Number(prec);
      switch (conv) {
        case "s":
          s = pyStr(v);
          if (p !== undefined) s = s.slice(0, p);
          break;
        case "r":
          s = pyStr(typeof v === "string" ? JSON.stringify(v) : v);
          break;
        case "d":
        case "i":
          s = String(Math.trunc(num(v)));
          break;
        case "f":
        case "F":
          s = num(v).toFixed(p ?? 6);
          break;
        case "e":
        case "E":
          s = num(v)
            .toExponential(p ?? 6)
            .replace(/e([+-])(\d)$/, "e$10$2");
          if (conv === "E") s = s.toUpperCase();
          break;
        case "g":
        case "G":
          s = String(Number(num(v).toPrecision(p ?? 6)));
          break;
        case "x":
        case "X":
          s = Math.trunc(num(v)).toString(16);
          if (conv === "X") s = s.toUpperCase();
          break;
        case "o":
          s = Math.trunc(num(v)).toString(8);
          break;
        default:
          s = typeof v === "number" ? String.fromCodePoint(v) : pyStr(v);
      }
      if (flags.includes("+") && /[difeEgG]/.test(conv) && !s.startsWith("-")) s = `+${s}`;
      const w = width === undefined || width === "*" ? 0 : Number(width);
      if (s.length < w) {
        if (flags.includes("-")) s = s.padEnd(w);
        else if (flags.includes("0") && /[difeEgGxXo]/.test(conv)) {
          const neg = s.startsWith("-") || s.startsWith("+");
          s = neg ? s[0] + s.slice(1).padStart(w - 1, "0") : s.padStart(w, "0");
        } else s = s.padStart(w);
      }
      return s;
    },
  );
  if (!isDict(arg) && ai < args.length && arg instanceof PyTuple)
    fail("not all arguments converted during string formatting");
  return out;
}
