/**
 * Loads a tree of task and group YAML files the way lm-evaluation-harness's TaskManager does: every `*.yaml`
 * (also `_`-named ones) is read with PyYAML's rules, `include:` chains are merged (the including file wins), and a
 * file is a task (`task:`), a group (`group:`) or an include-only template (neither). Tasks are validated strictly
 * and their `!function` hooks bound to native implementations. A broken file is recorded with its file, line, field
 * and reason and the rest of the tree still loads; a later directory's task overrides an earlier one's with a notice.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { hashOf } from "../core/hash.ts";
import { type BoundHook, bindHook } from "./hook-binding.ts";
import type { PythonHookOptions } from "./hooks/python.ts";
import { HOOK_MODULES } from "./hooks/registry.ts";
import type { HookKind, HookModule } from "./hooks/types.ts";
import { FunctionRef, lineOf, type PyYamlFile, readPyYaml } from "./pyyaml.ts";
import { GROUP_KEYS, GroupConfig, TaskConfig } from "./schema.ts";
import { checkSupported } from "./support.ts";
import { yamlFiles } from "./yaml-files.ts";

export { yamlFiles };

export interface LoadedTask {
  kind: "task";
  name: string;
  /** The YAML file that defines the task (for a task defined inside a group file, that file). */
  file: string;
  config: TaskConfig;
  /** Content hash of the validated config and its hook modules. */
  hash: string;
  tags: string[];
  categories: string[];
  /** Paths of integral floats in the config (`generation_kwargs.temperature`), as written in the YAML. */
  floats: ReadonlySet<string>;
  /** The native hook bound to each `!function` tag of the config. */
  hooks: ReadonlyMap<FunctionRef, BoundHook>;
}

/** One entry of a group's `aggregate_metric_list`, with lm-eval's defaults (`GroupConfig.__post_init__`). */
export interface GroupAggregate {
  metric: string;
  /** `mean`, or a Python function (which modelmap cannot run: the run refuses it before starting). */
  aggregation: "mean" | FunctionRef;
  weightBySize: boolean;
  filters: string[];
}

/** A group named by a run: its tasks (leaves, in order) and how lm-eval aggregates them. */
export interface ResolvedGroup {
  name: string;
  tasks: string[];
  /** The group's `aggregate_metric_list`; absent when it has none (lm-eval then reports no group metrics). */
  aggregate?: GroupAggregate[];
}

function groupAggregates(g: GroupConfig): GroupAggregate[] | undefined {
  const list = g.aggregate_metric_list;
  if (list === undefined || list === null) return undefined;
  return (Array.isArray(list) ? list : [list]).map((a) => ({
    metric: typeof a.metric === "string" ? a.metric : a.metric.ref,
    aggregation: a.aggregation ?? "mean",
    weightBySize: a.weight_by_size ?? false,
    filters:
      a.filter_list === undefined || a.filter_list === null
        ? ["none"]
        : Array.isArray(a.filter_list)
          ? a.filter_list
          : [a.filter_list],
  }));
}

export interface LoadedGroup {
  kind: "group";
  name: string;
  file: string;
  config: GroupConfig;
  /** Keys of the group file that are not group keys: lm-eval applies them to every member. */
  overrides: Record<string, unknown>;
}

export type ProblemReason =
  | "yaml"
  | "include"
  | "schema"
  | "hook"
  | "metric"
  | "filter"
  | "generation"
  | "unsupported"
  | "group";

export interface Problem {
  file: string;
  name?: string;
  reason: ProblemReason;
  error: ModelmapError;
}

export interface FileStatus {
  file: string;
  kind: "task" | "group" | "template" | "refused";
  name?: string;
}

/** A file with its includes merged; each top-level key remembers the file it came from. */
interface Merged {
  file: string;
  main: PyYamlFile;
  value: Record<string, unknown>;
  origin: Map<string, PyYamlFile>;
}

/** Reads files once per load (an include such as `_default_template_yaml` is shared by hundreds of tasks). */
class YamlCache {
  readonly files = new Map<string, PyYamlFile | ModelmapError>();
  readonly warnings: string[] = [];

  read(file: string): PyYamlFile {
    let r = this.files.get(file);
    if (r === undefined) {
      try {
        r = readPyYaml(file);
        for (const w of r.warnings) this.warnings.push(`${file}, line ${w.line}: ${w.message}`);
      } catch (e) {
        if (!(e instanceof ModelmapError)) throw e;
        r = e;
      }
      this.files.set(file, r);
    }
    if (r instanceof ModelmapError) throw r;
    return r;
  }
}

function asRecord(p: PyYamlFile): Record<string, unknown> {
  const v = p.value;
  if (!v || typeof v !== "object" || Array.isArray(v) || v instanceof FunctionRef)
    throw new ModelmapError("input", "expected a mapping of task keys", { location: { file: p.file, line: 1 } });
  return v as Record<string, unknown>;
}

/** lm-eval's `load_yaml(recursive=True)`: includes merged in order, `task_list` not inherited, local keys win. */
function merged(file: string, cache: YamlCache, seen: Set<string> = new Set()): Merged {
  const main = cache.read(file);
  const own = asRecord(main);
  const value: Record<string, unknown> = {};
  const origin = new Map<string, PyYamlFile>();
  const inc = own.include;
  if (inc !== undefined && inc !== null) {
    const list = Array.isArray(inc) ? inc : [inc];
    for (const item of list) {
      const location = { file, line: lineOf(main, ["include"]) ?? 1, field: "include" };
      if (typeof item !== "string")
        throw new ModelmapError("input", "include expects a file name or a list of them", { location });
      const target = isAbsolute(item) ? item : resolve(dirname(file), item);
      if (seen.has(target) || target === file)
        throw new ModelmapError("input", `include cycle through ${target}`, { location });
      if (!existsSync(target)) throw new ModelmapError("not_found", `included file not found: ${target}`, { location });
      const sub = merged(target, cache, new Set([...seen, file]));
      delete sub.value.task_list;
      for (const [k, v] of Object.entries(sub.value)) {
        value[k] = v;
        const o = sub.origin.get(k);
        if (o) origin.set(k, o);
      }
    }
  }
  for (const [k, v] of Object.entries(own)) {
    if (k === "include") continue;
    value[k] = v;
    origin.set(k, main);
  }
  return { file, main, value, origin };
}

/** Integral-float paths of the merged keys, from the file each key came from. */
function floatsOf(m: Merged): Set<string> {
  const out = new Set<string>();
  for (const [k, p] of m.origin) for (const f of p.floats) if (f === k || f.startsWith(`${k}.`)) out.add(f);
  return out;
}

function locate(m: Merged, path: ReadonlyArray<PropertyKey>): { file: string; line?: number; field: string } {
  const top = typeof path[0] === "string" ? path[0] : undefined;
  const p = (top !== undefined ? m.origin.get(top) : undefined) ?? m.main;
  const line = lineOf(p, path);
  return { file: p.file, ...(line === undefined ? {} : { line }), field: fieldPath(path) || "(top level)" };
}

function validate<T>(schema: z.ZodType<T>, value: Record<string, unknown>, m: Merged): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (!issue) throw new ModelmapError("input", "invalid task file", { location: { file: m.file } });
  let path: PropertyKey[] = [...issue.path];
  let msg = issue.message;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    path = [...path, key];
    msg = `unknown key '${key}' (see docs/tasks.md for the task format)`;
  } else if (issue.code === "invalid_union" || issue.code === "invalid_type") {
    msg = `${msg}${issue.code === "invalid_type" ? "" : ""}`;
  }
  throw new ModelmapError("input", msg, { location: locate(m, path) });
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
}

/** The kind of hook each field of a task config needs (undefined: any registered function). */
function expectedKind(path: ReadonlyArray<string | number>): HookKind | undefined {
  const last = path.filter((p) => typeof p === "string").at(-1);
  switch (last) {
    case "process_docs":
      return "process_docs";
    case "doc_to_text":
      return "doc_to_text";
    case "doc_to_target":
      return "doc_to_target";
    case "doc_to_choice":
      return "doc_to_choice";
    case "process_results":
      return "process_results";
    case "aggregation":
      return "aggregation";
    case "samples":
      return "fewshot_samples";
    case "function":
      return "filter";
    default:
      return undefined;
  }
}

function bindAll(value: unknown, path: Array<string | number>, out: Map<FunctionRef, BoundHook>, opts: Binding): void {
  if (value instanceof FunctionRef) {
    out.set(value, bindHook(value, fieldPath(path), expectedKind(path), opts.modules, opts.python));
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) bindAll(v, [...path, i], out, opts);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) bindAll(v, [...path, k], out, opts);
  }
}

interface Binding {
  modules: readonly HookModule[];
  python?: PythonHookOptions;
}

/** Builds one task from its merged config (and a group's overrides, as lm-eval's TaskFactory does). */
function buildTask(m: Merged, overrides: Record<string, unknown> | undefined, binding: Binding): LoadedTask {
  const raw: Record<string, unknown> = { ...m.value, ...(overrides ?? {}) };
  for (const key of ["group", "task_list"]) delete raw[key];
  if ("class" in raw)
    throw new ModelmapError("unsupported", "'class' names a Python task class; modelmap cannot run it", {
      location: locate(m, ["class"]),
    });
  if (
    raw.metadata !== undefined &&
    raw.metadata !== null &&
    (typeof raw.metadata !== "object" || Array.isArray(raw.metadata))
  )
    raw.metadata = { _metadata: raw.metadata };
  const config = validate(TaskConfig, raw, m);
  // Hooks first: a file whose hooks have no native version is refused for that, whatever else it asks for.
  const hooks = new Map<FunctionRef, BoundHook>();
  bindAll(config, [], hooks, binding);
  checkSupported(config, (path) => locate(m, path));
  const plain = JSON.parse(JSON.stringify(config)) as unknown;
  const hookShas = [...hooks.values()].map((h) => `${h.ref.ref}:${h.moduleSha256}`).sort();
  return {
    kind: "task",
    name: config.task,
    file: m.file,
    config,
    hash: hashOf(hookShas.length > 0 ? { config: plain, hooks: hookShas } : plain),
    tags: asList(config.tag),
    categories: asList(config.category),
    floats: floatsOf(m),
    hooks,
  };
}

function reasonOf(e: ModelmapError): ProblemReason {
  const field = e.location?.field ?? "";
  if (e.message.includes("invalid YAML") || e.message.includes("expected a mapping")) return "yaml";
  if (field === "include") return "include";
  if (e.code === "unsupported" && e.message.includes("hook '!function")) return "hook";
  // A metric or filter that is implemented but given a bad value (a regex that does not compile) is invalid.
  if (e.code === "input") return "schema";
  if (field.startsWith("metric_list")) return "metric";
  if (field.startsWith("filter_list")) return "filter";
  if (field.startsWith("generation_kwargs")) return "generation";
  if (e.code === "unsupported") return "unsupported";
  return "schema";
}

interface GroupMemberRef {
  name: string;
  overrides: Record<string, unknown>;
  inline?: Record<string, unknown>;
}

export interface LoadOptions {
  /** The native hook modules `!function` tags may bind to (default: every registered one). */
  hookModules?: readonly HookModule[];
  /** `--python-hooks` (CLI only, opt-in): hooks without a native version run in a python3 child process. */
  pythonHooks?: PythonHookOptions;
}

function bindingOf(opts: LoadOptions): Binding {
  return { modules: opts.hookModules ?? HOOK_MODULES, ...(opts.pythonHooks ? { python: opts.pythonHooks } : {}) };
}

/** Binds every `!function` tag of a validated config to its native hook, as loading the task does. */
export function bindTaskHooks(config: TaskConfig, opts: LoadOptions = {}): Map<FunctionRef, BoundHook> {
  const hooks = new Map<FunctionRef, BoundHook>();
  bindAll(config, [], hooks, bindingOf(opts));
  return hooks;
}

export class TaskRegistry {
  readonly tasks = new Map<string, LoadedTask>();
  readonly groups = new Map<string, LoadedGroup>();
  /** Every file that could not be loaded, with why. */
  readonly problems: Problem[] = [];
  /** Things a user should know that are not errors (overrides, duplicate YAML keys). */
  readonly notices: string[] = [];
  /** One entry per YAML file read, in order. */
  readonly files: FileStatus[] = [];
  /** Every file the load read, includes outside the directories too (what a cache of the registry is keyed on). */
  readonly sources: string[] = [];
  private readonly merged = new Map<string, Merged>();
  private readonly problemByName = new Map<string, Problem>();
  /** Tags of refused tasks: naming such a tag reports why its tasks were refused. */
  private readonly refusedTags = new Map<string, Problem>();
  private readonly binding: Binding;

  constructor(opts: LoadOptions = {}) {
    this.binding = bindingOf(opts);
  }

  /** Loads every `*.yaml` under the directories; later directories override earlier ones. */
  static load(dirs: string[], opts: LoadOptions = {}): TaskRegistry {
    const reg = new TaskRegistry(opts);
    const cache = new YamlCache();
    for (const dir of dirs) {
      if (!existsSync(dir)) throw new ModelmapError("not_found", `tasks directory not found: ${dir}`);
      reg.loadDir(dir, cache);
    }
    reg.notices.push(...cache.warnings);
    reg.sources.push(...cache.files.keys());
    reg.checkGroups();
    return reg;
  }

  private loadDir(dir: string, cache: YamlCache): void {
    const seenHere = new Set<string>();
    for (const file of yamlFiles(dir)) {
      let m: Merged;
      try {
        m = merged(file, cache);
      } catch (e) {
        this.refuse(file, undefined, e);
        continue;
      }
      const v = m.value;
      const isGroup = "group" in v && !("class" in v);
      const rawName = isGroup ? v.group : v.task;
      if (!("class" in v) && !("group" in v) && !("task" in v)) {
        this.files.push({ file, kind: "template" });
        continue;
      }
      const name = typeof rawName === "string" ? rawName : undefined;
      if (name !== undefined && seenHere.has(name)) {
        this.notices.push(`'${name}' is defined twice in ${dir}: ${file} is skipped (the first definition wins)`);
        this.files.push({ file, kind: "refused", name });
        continue;
      }
      if (name !== undefined) seenHere.add(name);
      try {
        if (isGroup) {
          const overrides = Object.fromEntries(Object.entries(v).filter(([k]) => !GROUP_KEYS.has(k)));
          const groupValue = Object.fromEntries(Object.entries(v).filter(([k]) => GROUP_KEYS.has(k)));
          const config = validate(GroupConfig, groupValue, m);
          this.add({ kind: "group", name: config.group, file, config, overrides });
        } else this.add(buildTask(m, undefined, this.binding));
        this.merged.set(file, m);
        this.files.push({ file, kind: isGroup ? "group" : "task", ...(name ? { name } : {}) });
      } catch (e) {
        const p = this.refuse(file, name, e);
        for (const tag of asList(v.tag)) if (!this.refusedTags.has(tag)) this.refusedTags.set(tag, p);
      }
    }
  }

  private refuse(file: string, name: string | undefined, e: unknown): Problem {
    if (!(e instanceof ModelmapError)) throw e;
    const p: Problem = { file, reason: reasonOf(e), error: e, ...(name ? { name } : {}) };
    this.problems.push(p);
    this.files.push({ file, kind: "refused", ...(name ? { name } : {}) });
    if (name !== undefined && !this.tasks.has(name) && !this.groups.has(name)) this.problemByName.set(name, p);
    return p;
  }

  /** Adds a task or group; a name defined again (a later directory) replaces the earlier one with a notice. */
  add(t: LoadedTask | LoadedGroup): void {
    const other = this.tasks.get(t.name) ?? this.groups.get(t.name);
    if (other !== undefined && other.file !== t.file) {
      this.notices.push(`'${t.name}' from ${t.file} overrides the one from ${other.file}`);
      this.tasks.delete(t.name);
      this.groups.delete(t.name);
    }
    this.problemByName.delete(t.name);
    if (t.kind === "task") this.tasks.set(t.name, t);
    else this.groups.set(t.name, t);
  }

  /** Tasks with this tag, in name order (as lm-eval expands a tag). */
  tagged(tag: string): LoadedTask[] {
    return [...this.tasks.values()].filter((t) => t.tags.includes(tag)).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** All tag names. */
  tags(): string[] {
    const out = new Set<string>();
    for (const t of this.tasks.values())
      for (const g of t.tags) if (!this.tasks.has(g) && !this.groups.has(g)) out.add(g);
    return [...out].sort();
  }

  /** The problem recorded for a name, if loading it failed. */
  problemFor(name: string): Problem | undefined {
    return this.problemByName.get(name);
  }

  private members(g: LoadedGroup): GroupMemberRef[] {
    const task = g.config.task;
    const list = task === undefined ? [] : Array.isArray(task) ? task : [task];
    return list.map((item) => {
      if (typeof item === "string") return { name: item, overrides: g.overrides };
      if (typeof item.group === "string") {
        const { group, ...rest } = item;
        return this.groups.has(group)
          ? { name: group, overrides: { ...g.overrides, ...rest } }
          : { name: `${g.name}::${group}`, overrides: g.overrides, inline: item };
      }
      if (typeof item.task !== "string")
        throw new ModelmapError("input", `a member of group '${g.name}' has neither 'task' nor 'group'`, {
          location: { file: g.file, field: "task" },
        });
      const { task: name, ...rest } = item;
      if (this.tasks.has(name) || this.groups.has(name) || this.tagged(name).length > 0)
        return { name, overrides: { ...g.overrides, ...rest } };
      return { name: `${g.name}::${name}`, overrides: g.overrides, inline: item };
    });
  }

  /** A group's member tasks with the overrides the group applies. */
  private expandGroup(
    g: LoadedGroup,
    extra: Record<string, unknown>,
    stack: string[],
    groupsOut: ResolvedGroup[],
  ): LoadedTask[] {
    const out: LoadedTask[] = [];
    for (const mem of this.members(g)) {
      const overrides = { ...mem.overrides, ...extra };
      if (mem.inline) {
        if ("group" in mem.inline) {
          const inner: LoadedGroup = {
            kind: "group",
            name: mem.name,
            file: g.file,
            config: validate(
              GroupConfig,
              Object.fromEntries(Object.entries({ ...mem.inline, group: mem.name }).filter(([k]) => GROUP_KEYS.has(k))),
              this.mergedOf(g),
            ),
            overrides: {
              ...overrides,
              ...Object.fromEntries(Object.entries(mem.inline).filter(([k]) => !GROUP_KEYS.has(k))),
            },
          };
          out.push(...this.expandGroup(inner, {}, [...stack, mem.name], groupsOut));
        } else {
          out.push(
            buildTask(
              { ...this.mergedOf(g), value: {} },
              { ...overrides, ...mem.inline, task: mem.name },
              this.binding,
            ),
          );
        }
        continue;
      }
      out.push(...this.expand(mem.name, overrides, [...stack, g.name], groupsOut));
    }
    const aggregate = groupAggregates(g.config);
    groupsOut.push({ name: g.name, tasks: [...new Set(out.map((t) => t.name))], ...(aggregate ? { aggregate } : {}) });
    return out;
  }

  private mergedOf(g: LoadedGroup): Merged {
    const m = this.merged.get(g.file);
    if (!m) throw new ModelmapError("internal", `group file ${g.file} is not indexed`);
    return m;
  }

  private withOverrides(t: LoadedTask, overrides: Record<string, unknown>): LoadedTask {
    const keys = Object.keys(overrides).filter((k) => k !== "task");
    if (keys.length === 0) return t;
    const m = this.merged.get(t.file);
    if (!m) return t;
    return buildTask(m, overrides, this.binding);
  }

  private expand(
    name: string,
    overrides: Record<string, unknown>,
    stack: string[],
    groupsOut: ResolvedGroup[],
  ): LoadedTask[] {
    if (stack.includes(name)) throw new ModelmapError("input", `group cycle: ${[...stack, name].join(" -> ")}`);
    const t = this.tasks.get(name);
    if (t) return [this.withOverrides(t, overrides)];
    const g = this.groups.get(name);
    if (g) return this.expandGroup(g, overrides, stack, groupsOut);
    const tagged = this.tagged(name);
    if (tagged.length > 0) {
      const out = tagged.map((x) => this.withOverrides(x, overrides));
      if (stack.length === 0) groupsOut.push({ name, tasks: out.map((x) => x.name) });
      return out;
    }
    const p = this.problemByName.get(name) ?? this.refusedTags.get(name);
    if (p) throw p.error;
    // A file that could not be read may be the one that defines the name: say which files, and why.
    const unread = this.problems
      .slice(0, 3)
      .map((q) => q.error.message.split("\n")[0] ?? q.file)
      .join("; ");
    throw new ModelmapError("not_found", `no task, group or tag named '${name}'`, {
      hint:
        this.problems.length > 0
          ? `${this.problems.length} file(s) could not be loaded: ${unread}${this.problems.length > 3 ? "; ..." : ""} ('modelmap tasks validate' says more)`
          : "run 'modelmap tasks list' to see the tasks",
    });
  }

  /** Expands names (tasks, groups, tags) to tasks, in order, without duplicates; also says which groups were named. */
  resolve(names: string[]): { tasks: LoadedTask[]; groups: ResolvedGroup[] } {
    const tasks = new Map<string, LoadedTask>();
    const groups: ResolvedGroup[] = [];
    for (const n of names) for (const t of this.expand(n, {}, [], groups)) if (!tasks.has(t.name)) tasks.set(t.name, t);
    return { tasks: [...tasks.values()], groups };
  }

  /** Resolves every group once, so that a group whose members are missing or broken is reported with its file. */
  private checkGroups(): void {
    for (const g of [...this.groups.values()]) {
      try {
        this.expandGroup(g, {}, [], []);
      } catch (e) {
        if (!(e instanceof ModelmapError)) throw e;
        this.groups.delete(g.name);
        const st = this.files.find((f) => f.file === g.file && f.name === g.name);
        if (st) st.kind = "refused";
        const err =
          e.location?.file !== undefined
            ? e
            : new ModelmapError(e.code, `group '${g.name}': ${e.message}`, {
                location: { file: g.file, field: "task" },
              });
        // A group refused because of a member is refused for the member's reason.
        const p: Problem = {
          file: g.file,
          name: g.name,
          reason: e.code === "not_found" ? "group" : reasonOf(e),
          error: err,
        };
        this.problems.push(p);
        this.problemByName.set(g.name, p);
      }
    }
  }
}

/** Loads one task or group file (with its includes), throwing its first problem. */
export function loadTaskFile(file: string, opts: LoadOptions = {}): LoadedTask | LoadedGroup {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new ModelmapError("not_found", `task file not found: ${abs}`);
  const cache = new YamlCache();
  const m = merged(abs, cache);
  if ("group" in m.value) {
    const overrides = Object.fromEntries(Object.entries(m.value).filter(([k]) => !GROUP_KEYS.has(k)));
    const config = validate(
      GroupConfig,
      Object.fromEntries(Object.entries(m.value).filter(([k]) => GROUP_KEYS.has(k))),
      m,
    );
    return { kind: "group", name: config.group, file: abs, config, overrides };
  }
  if (!("task" in m.value) && !("class" in m.value))
    throw new ModelmapError("input", "neither 'task' nor 'group': an include-only template, not a task", {
      location: { file: abs, line: 1 },
    });
  return buildTask(m, undefined, bindingOf(opts));
}
