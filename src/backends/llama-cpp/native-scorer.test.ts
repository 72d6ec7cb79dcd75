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
