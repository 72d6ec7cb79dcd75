/**
 * The native scorer's greedy generation on its own context (small models) against the same generation on the
 * scoring context: the same tokens, for prompts of several blocks that share blocks, between scoring calls that
 * move the scoring context's cache. (Both against node-llama-cpp's own sampler: backend.test.ts.)
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTinyModel } from "../../../test/support/tiny-model.ts";
import { getSharedLlama } from "./engine.ts";
import { loadNativeScorer } from "./native-build.ts";
import { CPU_BLOCK, NativeScorer } from "./native-scorer.ts";

const dir = mkdtempSync(join(tmpdir(), "modelmap-native-gen-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("generation on its own context gives the tokens it gives on the scoring context", async (t) => {
  const { addon, status } = await loadNativeScorer({});
  if (!addon) return t.skip(`no native scorer here: ${status.ok ? "" : status.reason}`);
  const path = createTinyModel(join(dir, "gen.gguf"), { seed: 31, contextLength: 512 }).path;
  const model = await (await getSharedLlama(false)).loadModel({ modelPath: path });
  const o = { contextSize: 512, threads: 1, block: CPU_BLOCK };
  const own = NativeScorer.open(addon, model, o);
  const shared = NativeScorer.open(addon, model, { ...o, generationKvBytes: 0 });
  try {
    assert.equal(own.ownGeneration, true, "a tiny model's second cache is small: generation gets its own context");
    assert.equal(shared.ownGeneration, false);
    const text = (seed: number, n: number) => Array.from({ length: n }, (_, i) => 3 + ((seed * 7 + i * 13) % 90));
    const a = text(1, 150);
    const prompts = [a, [...a.slice(0, 130), ...text(2, 20)], text(3, 64), text(3, 65), [...a, ...text(4, 100)], [5]];
    for (const [i, prompt] of prompts.entries()) {
      const g = { maxTokens: 40, stops: [] };
      const x = await own.generate(prompt, g);
      const y = await shared.generate(prompt, g);
      assert.deepEqual(x, y, `prompt ${i}`);
      assert.equal(x.tokens.length, 40);
      // Scoring in between moves the scoring context's cache (the blocks it holds, the cells it uses).
      const context = i % 2 === 0 ? prompt : text(9, 200);
      const scored = await own.scoreGroup(context, [[7, 8], [9]], false);
      assert.deepEqual(scored, await shared.scoreGroup(context, [[7, 8], [9]], false));
    }
  } finally {
    own.close();
    shared.close();
    await model.dispose();
  }
});

test("a rolling window sets the item blocks aside: the next item with that context evaluates only its tail, with the same numbers", async (t) => {
  const { addon, status } = await loadNativeScorer({});
  if (!addon) return t.skip(`no native scorer here: ${status.ok ? "" : status.reason}`);
  const path = createTinyModel(join(dir, "aside.gguf"), { seed: 47, contextLength: 512 }).path;
  const model = await (await getSharedLlama(false)).loadModel({ modelPath: path });
  const o = { contextSize: 512, threads: 1, block: CPU_BLOCK };
  const kept = NativeScorer.open(addon, model, o);
  const dropped = NativeScorer.open(addon, model, { ...o, savedBytes: 0 });
  try {
    const text = (seed: number, n: number) => Array.from({ length: n }, (_, i) => 3 + ((seed * 11 + i * 17) % 90));
    const context = text(1, 3 * CPU_BLOCK + 10);
    const other = text(2, 2 * CPU_BLOCK + 5);
    const choices = [[7, 8, 9], [10]];
    const window = { tokens: text(3, 300), firstScored: 1 };
    // The item's own tail: the context's last, partial block and the continuations' tokens but their last.
    const tail = context.length - 3 * CPU_BLOCK + 2;
    for (const s of [kept, dropped]) {
      const first = await s.scoreGroup(context, choices, true);
      const rolled = await s.scoreSequence(window, true);
      let before = s.tokensEvaluated;
      assert.deepEqual(await s.scoreGroup(context, choices, true), first, "the item after a rolling window");
      const evaluated = s.tokensEvaluated - before;
      assert.equal(evaluated, s === kept ? tail : context.length + 2, "tokens the item evaluated");
      // Another context after a rolling window: the copy is dropped, the numbers are a fresh scorer's.
      await s.scoreSequence(window, false);
      before = s.tokensEvaluated;
      const fresh = NativeScorer.open(addon, model, o);
      try {
        assert.deepEqual(await s.scoreGroup(other, choices, false), await fresh.scoreGroup(other, choices, false));
        assert.deepEqual(
          rolled,
          await fresh.scoreSequence(window, true),
          "a window's numbers do not depend on the blocks",
        );
      } finally {
        fresh.close();
      }
      assert.equal(s.tokensEvaluated - before, other.length + 2);
    }
  } finally {
    kept.close();
    dropped.close();
    await model.dispose();
  }
});
