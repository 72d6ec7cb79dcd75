/**
 * The main job's benchmarks from the built-in task registry, through the start cache: parsing the ~150 task files
 * (YAML with PyYAML's rules, includes, strict validation) was a quarter of a warm start. The entry is keyed on the
 * list of task files with each one's size and modification time (and, through the cache, on modelmap's build), and
 * on any file outside the folder the load read (an include); so an edited, added or removed task file is a miss
 * and the registry is parsed again.
 */
import { z } from "zod";
import { fileStamps } from "../core/files.ts";
import { BUILTIN_TASKS_DIR } from "../runner/builtin-tasks.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { TaskJsonSchema, taskFromJson, taskToJson } from "../tasks/task-json.ts";
import { yamlFiles } from "../tasks/yaml-files.ts";
import type { StartCache } from "./start-cache.ts";

export interface StartTasks {
  /** The tasks the specs name, in order. */
  tasks: LoadedTask[];
  /** Categories of any task of the registry (the capability map's sync asks for every task in the store). */
  categoryOf: (task: string) => string[] | undefined;
}

const EntrySchema = z.object({
  tasks: z.array(TaskJsonSchema),
  categories: z.record(z.string(), z.array(z.string())),
  /** Files read from outside the task folder (includes), with their stamps when the entry was written. */
  outside: z.array(z.string()),
  outsideStamps: z.string(),
});

function fromCategories(categories: Record<string, string[]>): StartTasks["categoryOf"] {
  return (task) => (Object.hasOwn(categories, task) ? categories[task] : undefined);
}

/** `dir`: the task folder (the built-in one; tests give a copy they can edit). */
export async function startTasks(
  specs: string[],
  cache: StartCache | undefined,
  dir: string = BUILTIN_TASKS_DIR,
): Promise<StartTasks> {
  const key = cache ? { specs, dir, files: fileStamps(yamlFiles(dir)) } : undefined;
  if (cache) {
    const hit = cache.get("tasks", key, EntrySchema);
    if (hit && JSON.stringify(fileStamps(hit.outside)) === hit.outsideStamps) {
      try {
        const tasks = await Promise.all(hit.tasks.map((t) => taskFromJson(t)));
        return { tasks, categoryOf: fromCategories(hit.categories) };
      } catch {
        // A hook that no longer binds: load the files below, which reports it as loading always does.
      }
    }
  }
  const { TaskRegistry } = await import("../tasks/loader.ts");
  const reg = TaskRegistry.load([dir]);
  const names = reg.resolve(specs).tasks.map((t) => t.name);
  const { tasks } = reg.resolve(names);
  const categories = Object.fromEntries([...reg.tasks.values()].map((t) => [t.name, t.categories]));
  if (cache) {
    const inside = new Set(yamlFiles(dir));
    const outside = reg.sources.filter((f) => !inside.has(f)).sort();
    cache.put("tasks", key, {
      tasks: tasks.map(taskToJson),
      categories,
      outside,
      outsideStamps: JSON.stringify(fileStamps(outside)),
    });
  }
  return { tasks, categoryOf: fromCategories(categories) };
}
