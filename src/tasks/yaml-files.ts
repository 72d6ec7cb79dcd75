import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/** Every `*.yaml`/`*.yml` file a load of `root` reads as a task, group or template file, sorted. */
export function yamlFiles(root: string): string[] {
  if (statSync(root).isFile()) return [resolve(root)];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      if (e === "__pycache__" || e === ".ipynb_checkpoints" || e === "node_modules") continue;
      const p = join(dir, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e)) out.push(p);
    }
  };
  walk(resolve(root));
  return out.sort();
}
