/**
 * A loaded task as plain JSON and back, for caches of the task registry (`modelmap start` keeps the zoo's tasks
 * so that a warm start parses no YAML). `!function` tags travel as their reference, file and line and are bound to
 * their hooks anew, so a revived task is the task the loader built (task-json.test.ts checks every shipped task).
 * The config is not validated again (the cache that holds it is keyed on the build that validated it, and zod's
 * first parse of the task schema costs tens of milliseconds); the loader, with its hook modules, is imported only
 * for a task with hooks.
 */
import { z } from "zod";
import type { BoundHook } from "./hook-binding.ts";
import type { LoadedTask, LoadOptions } from "./loader.ts";
import { FunctionRef } from "./pyyaml.ts";
import type { TaskConfig } from "./schema.ts";

/** The key a `!function` tag is written under (no task key starts with `$`). */
const FN = "$function";

export const TaskJsonSchema = z.object({
  name: z.string(),
  file: z.string(),
  config: z.record(z.string(), z.unknown()),
  hash: z.string(),
  tags: z.array(z.string()),
  categories: z.array(z.string()),
  floats: z.array(z.string()),
});
export type TaskJson = z.infer<typeof TaskJsonSchema>;

const FnJson = z.tuple([z.string(), z.string(), z.number()]);

function encode(v: unknown): unknown {
  if (v instanceof FunctionRef) return { [FN]: [v.ref, v.file, v.line] };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === undefined ? x : encode(x)]));
  return v;
}

function decode(v: unknown, refs: FunctionRef[]): unknown {
  if (Array.isArray(v)) return v.map((x) => decode(x, refs));
  if (v && typeof v === "object") {
    const rec = v as Record<string, unknown>;
    if (FN in rec) {
      const [ref, file, line] = FnJson.parse(rec[FN]);
      const f = new FunctionRef(ref, file, line);
      refs.push(f);
      return f;
    }
    return Object.fromEntries(Object.entries(rec).map(([k, x]) => [k, decode(x, refs)]));
  }
  return v;
}

export function taskToJson(t: LoadedTask): TaskJson {
  return {
    name: t.name,
    file: t.file,
    config: encode(t.config) as Record<string, unknown>,
    hash: t.hash,
    tags: t.tags,
    categories: t.categories,
    floats: [...t.floats],
  };
}

/** The task again, its hooks bound (throws as loading does when a hook cannot be bound). */
export async function taskFromJson(j: TaskJson, opts: LoadOptions = {}): Promise<LoadedTask> {
  const refs: FunctionRef[] = [];
  const config = decode(j.config, refs) as TaskConfig;
  const hooks =
    refs.length > 0 ? (await import("./loader.ts")).bindTaskHooks(config, opts) : new Map<FunctionRef, BoundHook>();
  return {
    kind: "task",
    name: j.name,
    file: j.file,
    config,
    hash: j.hash,
    tags: j.tags,
    categories: j.categories,
    floats: new Set(j.floats),
    hooks,
  };
}
