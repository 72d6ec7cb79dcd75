import assert from "node:assert/strict";
import { test } from "node:test";
import { COMMAND_GROUPS, COMMANDS, findCommand, helpText } from "./commands.ts";

test("each listed command is the one its module exports, with the same name, summary and old names", async () => {
  for (const g of COMMAND_GROUPS) {
    const exported = (await g.load()).map((c) => [c.name, c.summary, c.deprecatedNames ?? []]);
    const listed = g.commands.map((c) => [c.name, c.summary, c.deprecatedNames ?? []]);
    assert.deepEqual(listed, exported, "cli/commands.ts must list every command its module exports, as written there");
    for (const entry of g.commands) assert.equal((await entry.load()).name, entry.name);
  }
});

test("command names are unique and findCommand prefers the longest match", () => {
  const names = COMMANDS.flatMap((c) => [c.name, ...(c.deprecatedNames ?? [])]);
  assert.equal(new Set(names).size, names.length);
  assert.equal(findCommand(["rank", "style", "votes.jsonl"])?.command.name, "rank style");
  assert.equal(findCommand(["rank", "votes.jsonl"])?.words, 1);
  assert.equal(findCommand(["votes"]), undefined);
});

test("help for one command prints its usage; an unknown topic prints the list", async () => {
  const rank = await findCommand(["rank"])?.command.load();
  assert.equal(await helpText(["rank"]), `${rank?.usage.trimEnd()}\n`);
  const list = await helpText(["no-such-command"]);
  assert.match(list, /^modelmap: evaluate/);
  for (const c of COMMANDS)
    assert.match(list, new RegExp(`\\n  ${c.name} +${c.summary.replace(/[()[\].*+?^$|\\]/g, "\\$&")}\\n`));
});
