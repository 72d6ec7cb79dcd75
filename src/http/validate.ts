/**
 * The one way a route reads its input: `query(schema)`, `json(schema)` and `params(schema)` validate with zod
 * before the handler runs, which reads the result typed through `c.req.valid(...)`. Every failure is the same
 * answer: 400 with `{ error: { code: "input", message, field } }`, the message naming the field and what was
 * expected.
 */
import type { Env, MiddlewareHandler } from "hono";
import { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";

type Target = "query" | "json" | "param";

const WHERE: Record<Target, string> = {
  query: "in the query string",
  json: "in the JSON body",
  param: "in the path",
};

function check<S extends z.ZodType>(schema: S, value: unknown, target: Target): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  let field = fieldPath(issue?.path ?? []);
  let message = issue?.message ?? "invalid";
  if (issue?.code === "unrecognized_keys") {
    field = fieldPath([...issue.path, issue.keys[0] ?? ""]);
    const noun = target === "json" ? "field" : "parameter";
    message = `unknown ${noun}${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  }
  throw new ModelmapError("input", message, {
    ...(field ? { location: { field } } : {}),
    hint: WHERE[target],
  });
}

type Validated<T extends Target, In, Out> = {
  in: { [K in T]: In };
  out: { [K in T]: Out };
};

/**
 * Query parameters: a parameter given once is a string, given several times an array of strings (see `many`).
 */
export function query<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<Env, string, Validated<"query", Record<string, string | string[]>, z.output<S>>> {
  return async (c, next) => {
    const raw: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(c.req.queries())) raw[k] = v.length === 1 ? (v[0] as string) : v;
    c.req.addValidatedData("query", check(schema, raw, "query") as object);
    await next();
  };
}

/** A JSON request body (read whatever the content type says, so that a missing header is no way around it). */
export function json<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<Env, string, Validated<"json", z.input<S>, z.output<S>>> {
  return async (c, next) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new ModelmapError("input", "request body must be JSON", { hint: WHERE.json });
    }
    c.req.addValidatedData("json", check(schema, raw, "json") as object);
    await next();
  };
}

/** Path parameters (e.g. a document number that must be an integer). */
export function params<S extends z.ZodType>(
  schema: S,
): MiddlewareHandler<Env, string, Validated<"param", Record<string, string>, z.output<S>>> {
  return async (c, next) => {
    c.req.addValidatedData("param", check(schema, c.req.param(), "param") as object);
    await next();
  };
}

/** A query parameter that may repeat (`?source=a&source=b`): always an array. */
export function many<T extends z.ZodType<string, string>>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .pipe(z.array(item));
}

/** A non-negative number; an empty value is no value (forms send empty fields). */
export const count = z
  .string()
  .trim()
  .transform((s, ctx) => {
    if (s === "") return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) {
      ctx.addIssue({ code: "custom", message: `expected a non-negative number, got '${s}'` });
      return z.NEVER;
    }
    return n;
  })
  .optional();

/** A checkbox: present and not "0"/"false" is true. */
export const flag = z
  .string()
  .optional()
  .transform((s) => s !== undefined && s !== "" && s !== "0" && s !== "false");

/** Free text from a form field; empty is no value. */
export const text = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((s) => (s === "" ? undefined : s));
