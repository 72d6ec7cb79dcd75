import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRegistry } from "../runner/service.ts";
import { FunctionRef } from "./pyyaml.ts";
import { TaskJsonSchema, taskFromJson, taskToJson } from "./task-json.ts";

test("every shipped task survives JSON and back: same config, hash, tags, floats and bound hooks", async () => {
  const reg = loadRegistry();
  assert.ok(reg.tasks.size > 100);
  let withHooks = 0;
  for (const t of reg.tasks.values()) {
    const json = TaskJsonSchema.parse(JSON.parse(JSON.stringify(taskToJson(t))));
    const back = await taskFromJson(json);
    assert.deepEqual(back.config, t.config, t.name);
    assert.deepEqual({ ...back, config: null, hooks: null }, { ...t, config: null, hooks: null }, t.name);
    const refs = (m: ReadonlyMap<FunctionRef, { ref: FunctionRef; moduleSha256: string }>) =>
      [...m.values()].map((h) => [h.ref.ref, h.ref.file, h.ref.line, h.moduleSha256]).sort();
    assert.deepEqual(refs(back.hooks), refs(t.hooks), t.name);
    // Each revived tag is the key its hook is bound under (the runner looks hooks up by the config's own tags).
    const inConfig = new Set<unknown>();
    const walk = (v: unknown): void => {
      if (v instanceof FunctionRef) inConfig.add(v);
      else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
    };
    walk(back.config);
    for (const h of back.hooks.keys()) assert.ok(inConfig.has(h), `${t.name}: ${h.ref} is a tag of the config`);
    if (t.hooks.size > 0) withHooks++;
  }
  assert.ok(withHooks > 0, "some shipped tasks have hooks");
});
