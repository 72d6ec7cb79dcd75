/**
 * Loads task and group YAML files: resolves `include`, refuses `!function` hooks, validates strictly and reports
 * every problem with file, line and field. A registry maps task, group and tag names to tasks.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { hashOf } from "../core/hash.ts";
import { GroupConfig, isGroupDocument, PYTHON_HOOK_KEYS, TaskConfig } from "./schema.ts";

export interface LoadedTask {
  kind: "task";
  name: string;
  file: string;
  config: TaskConfig;
  /** Content hash of the validated config: changes whenever anything that changes prompts or scores changes. */
  hash: string;
  tags: string[];
  categories: string[];
}

export interface LoadedGroup {
  kind: "group";
  name: string;
  file: string;
  config: GroupConfig;
}

interface Parsed {
  file: string;
  doc: Document;
  lc: LineCounter;
  value: Record<string, unknown>;
}

function lineOf(p: Parsed, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const keyPath = path.slice(0, n).filter((k): k is string | number => typeof k !== "symbol");
    const node = n === 0 ? p.doc.contents : p.doc.getIn(keyPath, true);
    if (isNode(node) && node.range) return p.lc.linePos(node.range[0]).line;
    // An unknown key: point at the key itself.
    if (n === path.length && n > 0) {
      const parent = n === 1 ? p.doc.contents : p.doc.getIn(keyPath.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === keyPath[keyPath.length - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return p.lc.linePos(pair.key.range[0]).line;
      }
    }
  }
  return undefined;
}

function parseYamlFile(file: string): Parsed {
  if (!existsSync(file)) throw new ModelmapError("not_found", `task file not found: ${file}`);
  const text = readFileSync(file, "utf8");
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, customTags: [] });
  const err = doc.errors[0];
  if (err) {
    const line = lc.linePos(err.pos[0]).line;
    throw new ModelmapError("input", `invalid YAML: ${err.message.split("\n")[0]}`, { location: { file, line } });
  }
  visit(doc, {
    Node(_key, node) {
      if (node.tag === "!function") {
        const line = node.range ? lc.linePos(node.range[0]).line : undefined;
        throw new ModelmapError(
          "input",
          "'!function' hooks run Python code and are not supported; express the field as a field name or a Jinja template",
          { location: { file, ...(line === undefined ? {} : { line }) } },
        );
      }
    },
  });
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new ModelmapError("input", "expected a mapping of task keys", { location: { file, line: 1 } });
  return { file, doc, lc, value: value as Record<string, unknown> };
}

/** Merges `include`d files (depth-first); remembers which file each top-level key came from. */
function withIncludes(p: Parsed, seen: Set<string>): { value: Record<string, unknown>; origin: Map<string, Parsed> } {
  const origin = new Map<string, Parsed>();
  let merged: Record<string, unknown> = {};
  const inc = p.value.include;
  if (inc !== undefined) {
    if (typeof inc !== "string")
      throw new ModelmapError("input", "include expects a file name", {
        location: { file: p.file, line: lineOf(p, ["include"]) ?? 1, field: "include" },
      });
    const target = resolve(dirname(p.file), inc);
    if (seen.has(target))
      throw new ModelmapError("input", `include cycle through ${target}`, {
        location: { file: p.file, field: "include" },
      });
    if (!existsSync(target))
      throw new ModelmapError("not_found", `included file not found: ${target}`, {
        location: { file: p.file, line: lineOf(p, ["include"]) ?? 1, field: "include" },
      });
    const sub = withIncludes(parseYamlFile(target), new Set([...seen, target]));
    merged = sub.value;
    for (const [k, v] of sub.origin) origin.set(k, v);
  }
  for (const [k, v] of Object.entries(p.value)) {
    if (k === "include") continue;
    merged[k] = v;
    origin.set(k, p);
  }
  return { value: merged, origin };
}

function validate<T>(
  schema: z.ZodType<T>,
  value: Record<string, unknown>,
  origin: Map<string, Parsed>,
  main: Parsed,
): T {
  for (const hook of PYTHON_HOOK_KEYS) {
    if (hook in value) {
      const p = origin.get(hook) ?? main;
      throw new ModelmapError("input", `'${hook}' runs Python code and is not supported in modelmap task files`, {
        location: { file: p.file, line: lineOf(p, [hook]) ?? 1, field: hook },
      });
    }
  }
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (!issue) throw new ModelmapError("input", "invalid task file", { location: { file: main.file } });
  let path: PropertyKey[] = [...issue.path];
  let msg = issue.message;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    path = [...path, key];
    msg = `unknown key '${key}' (see docs/tasks.md for the task format)`;
  }
  const top = typeof path[0] === "string" ? path[0] : undefined;
  const p = (top !== undefined ? origin.get(top) : undefined) ?? main;
  const line = lineOf(p, path);
  throw new ModelmapError("input", msg, {
    location: { file: p.file, ...(line === undefined ? {} : { line }), field: fieldPath(path) || "(top level)" },
  });
}

function asList(v: string | string[] | undefined | null): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** Loads one task or group file. */
export function loadTaskFile(file: string): LoadedTask | LoadedGroup {
  const abs = resolve(file);
  const main = parseYamlFile(abs);
  const { value, origin } = withIncludes(main, new Set([abs]));
  if (isGroupDocument(value)) {
    const config = validate(GroupConfig, value, origin, main);
    return { kind: "group", name: config.group, file: abs, config };
  }
  const config = validate(TaskConfig, value, origin, main);
  return {
    kind: "task",
    name: config.task,
    file: abs,
    config,
    hash: hashOf(config),
    tags: [...asList(config.tag), ...asList(config.group)],
    categories: asList(config.category),
  };
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e) && !basename(e).startsWith("_")) out.push(p);
  }
  return out;
}

export class TaskRegistry {
  readonly tasks = new Map<string, LoadedTask>();
  readonly groups = new Map<string, LoadedGroup>();

  /** Loads every `*.yaml` under the directories (files starting with `_` are include-only templates). */
  static load(dirs: string[]): TaskRegistry {
    const reg = new TaskRegistry();
    for (const dir of dirs) {
      if (!existsSync(dir)) throw new ModelmapError("not_found", `tasks directory not found: ${dir}`);
      for (const f of yamlFiles(dir)) reg.add(loadTaskFile(f));
    }
    return reg;
  }

  add(t: LoadedTask | LoadedGroup): void {
    const other = this.tasks.get(t.name)?.file ?? this.groups.get(t.name)?.file;
    if (other !== undefined && other !== t.file)
      throw new ModelmapError("conflict", `'${t.name}' is defined twice: ${other} and ${t.file}`);
    if (t.kind === "task") this.tasks.set(t.name, t);
    else this.groups.set(t.name, t);
  }

  /** Tasks with this tag. */
  tagged(tag: string): LoadedTask[] {
    return [...this.tasks.values()].filter((t) => t.tags.includes(tag));
  }

  /** Expands names (tasks, groups, tags) to tasks, in order, without duplicates; also says which groups were named. */
  resolve(names: string[]): { tasks: LoadedTask[]; groups: Array<{ name: string; tasks: string[] }> } {
    const tasks = new Map<string, LoadedTask>();
    const groups: Array<{ name: string; tasks: string[] }> = [];
    const expand = (name: string, stack: string[]): string[] => {
      if (stack.includes(name)) throw new ModelmapError("input", `group cycle: ${[...stack, name].join(" -> ")}`);
      const t = this.tasks.get(name);
      if (t) {
        tasks.set(t.name, t);
        return [t.name];
      }
      const g = this.groups.get(name);
      const members = g ? g.config.task.flatMap((m) => expand(m, [...stack, name])) : undefined;
      const tagged = g ? undefined : this.tagged(name);
      if (members) {
        groups.push({ name, tasks: [...new Set(members)] });
        return members;
      }
      if (tagged && tagged.length > 0) {
        for (const x of tagged) tasks.set(x.name, x);
        const names = tagged.map((x) => x.name);
        if (stack.length === 0) groups.push({ name, tasks: names });
        return names;
      }
      throw new ModelmapError("not_found", `no task, group or tag named '${name}'`, {
        hint: "run 'modelmap tasks list' to see the tasks",
      });
    };
    for (const n of names) expand(n, []);
    return { tasks: [...tasks.values()], groups };
  }
}
