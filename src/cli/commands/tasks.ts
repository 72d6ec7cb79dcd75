import { existsSync, readdirSync, statSync } from "node:fs";
import { stringify } from "yaml";
import { ModelmapError } from "../../core/errors.ts";
import { checkTaskData, loadRegistry, resolveDataDir } from "../../runner/service.ts";
import { taskCatalog } from "../../runner/views.ts";
import { type LoadedTask, loadTaskFile } from "../../tasks/loader.ts";
import { type Command, parseFlags } from "../command.ts";

const tasksList: Command = {
  name: "tasks list",
  summary: "list task definitions, groups and tags",
  usage: `usage: modelmap tasks list [--tasks-dir DIR]... [--format text|json]

Lists the built-in tasks (tasks/ in the repository) and those under each --tasks-dir.`,
  run(argv, ctx) {
    const { values } = parseFlags(
      "tasks list",
      argv,
      { "tasks-dir": { type: "string", multiple: true }, format: { type: "string" } },
      false,
    );
    const reg = loadRegistry(values["tasks-dir"] ?? []);
    const tasks = [...reg.tasks.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    if (values.format === "json") {
      // The catalog `GET /api/eval/tasks` answers, plus each task's file (the server does not show local paths).
      const catalog = taskCatalog(reg);
      const out = { ...catalog, tasks: catalog.tasks.map((t) => ({ ...t, file: reg.tasks.get(t.name)?.file })) };
      ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    for (const t of tasks)
      ctx.stdout.write(
        `${t.name.padEnd(48)} ${t.config.output_type.padEnd(16)} ${String(t.config.num_fewshot ?? 0).padStart(2)}-shot  ${t.tags.join(",")}\n`,
      );
    for (const g of reg.groups.values())
      ctx.stdout.write(`${`${g.name} (group)`.padEnd(48)} ${g.config.task.length} members\n`);
    return 0;
  },
};

const tasksShow: Command = {
  name: "tasks show",
  summary: "show one task's resolved definition",
  usage: `usage: modelmap tasks show NAME [--tasks-dir DIR]...

Prints the task's definition after 'include' is resolved, with its file and content hash.`,
  run(argv, ctx) {
    const { values, positionals } = parseFlags("tasks show", argv, { "tasks-dir": { type: "string", multiple: true } });
    const name = positionals[0];
    if (!name) throw new ModelmapError("usage", "tasks show: give a task name");
    const reg = loadRegistry(values["tasks-dir"] ?? []);
    const t = reg.tasks.get(name);
    const g = reg.groups.get(name);
    if (g) {
      ctx.stdout.write(`# ${g.file}\n${stringify(g.config)}`);
      return 0;
    }
    if (!t) throw new ModelmapError("not_found", `no task '${name}'`, { hint: "run 'modelmap tasks list'" });
    ctx.stdout.write(`# ${t.file}\n# hash ${t.hash}\n${stringify(t.config)}`);
    return 0;
  },
};

const tasksValidate: Command = {
  name: "tasks validate",
  summary: "check task YAML files against the schema (and their data)",
  usage: `usage: modelmap tasks validate [FILE|DIR]... [--data-dir DIR]

Validates task and group files (default: the built-in tasks). Each problem is reported with file, line and field;
exit code 2 if any file is invalid. With --data-dir, each task's first document is also read and its requests
built, so missing data files and template errors show up before a run.`,
  async run(argv, ctx) {
    const { positionals, values } = parseFlags("tasks validate", argv, { "data-dir": { type: "string" } });
    const loaded: LoadedTask[] = [];
    let bad = 0;
    const report = (e: unknown) => {
      if (!(e instanceof ModelmapError)) throw e;
      bad++;
      ctx.stderr.write(`${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ""}`);
    };
    if (positionals.length === 0) {
      const reg = loadRegistry([]);
      loaded.push(...reg.tasks.values());
    } else {
      const files: string[] = [];
      const walk = (p: string) => {
        if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(`${p}/${e}`);
        else if (/\.ya?ml$/.test(p) && !/(^|\/)_[^/]*$/.test(p)) files.push(p);
      };
      for (const p of positionals) {
        if (!existsSync(p)) throw new ModelmapError("not_found", `no such file or directory: ${p}`);
        walk(p);
      }
      for (const f of files) {
        try {
          const t = loadTaskFile(f);
          if (t.kind === "task") loaded.push(t);
        } catch (e) {
          report(e);
        }
      }
    }
    if (values["data-dir"] !== undefined) {
      const dataDir = resolveDataDir(ctx.cwd, values["data-dir"], undefined, ctx.env);
      for (const t of [...loaded]) {
        try {
          await checkTaskData(t, dataDir);
        } catch (e) {
          report(e);
          loaded.splice(loaded.indexOf(t), 1);
        }
      }
    }
    ctx.stdout.write(
      `${loaded.length} valid${values["data-dir"] !== undefined ? " (data checked)" : ""}, ${bad} invalid\n`,
    );
    return bad > 0 ? 2 : 0;
  },
};

export const TASKS_COMMANDS: Command[] = [tasksList, tasksShow, tasksValidate];
