/**
 * wrapBackend and the middlewares as composition logic, over a recording backend (the real engines under them
 * are exercised in resolve.test.ts and the end-to-end tests).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type ChatMessage,
  type GenerationParams,
  type ModelIdentity,
} from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { type BackendMiddleware, wrapBackend } from "./middleware.ts";
import { generationDefaults, lazyLoading, prompting, unopened } from "./middlewares.ts";
import { resolveModelPrompting } from "./prompting.ts";

interface Seen {
  input: ChatMessage[] | string;
  params: GenerationParams;
}

function recorder(identity: ModelIdentity = { id: "r", backend: "rec", name: "r" }) {
  const seen: Seen[] = [];
  let closed = 0;
  const backend: Backend = {
    specVersion: BACKEND_SPEC_VERSION,
    identity,
    capabilities: {
      chat: false,
      completion: true,
      loglikelihood: true,
      loglikelihoodRolling: true,
      tokenize: true,
      tokenStats: false,
      concurrency: 3,
    },
    async generate(input, params) {
      seen.push({ input, params });
      return { text: "out", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 1 } };
    },
    async loglikelihood(requests) {
      return requests.map(() => ({ logprob: -1, isGreedy: true, tokenCount: 1 }));
    },
    async loglikelihoodRolling(texts) {
      return texts.map(() => ({ logprob: -2, tokenCount: 2 }));
    },
    async tokenize(text) {
      return [...text].map((c) => c.charCodeAt(0));
    },
    async close() {
      closed++;
    },
  };
  return {
    backend,
    seen,
    get closed() {
      return closed;
    },
  };
}

const tag = (name: string, log: string[]): BackendMiddleware => ({
  async generate(next, input, params, o) {
    log.push(`${name}>`);
    const r = await next(input, params, o);
    log.push(`<${name}`);
    return { ...r, text: `${name}(${r.text})` };
  },
});

test("the first middleware is outermost; calls it does not override pass through untouched", async () => {
  const r = recorder();
  const log: string[] = [];
  const b = wrapBackend(r.backend, tag("a", log), tag("b", log));
  const out = await b.generate("p", {});
  assert.equal(out.text, "a(b(out))");
  assert.deepEqual(log, ["a>", "b>", "<b", "<a"]);
  assert.deepEqual(await b.loglikelihood([{ context: "c", continuation: "x" }]), [
    { logprob: -1, isGreedy: true, tokenCount: 1 },
  ]);
  assert.deepEqual(await b.tokenize?.("AB"), [65, 66]);
  assert.equal(b.renderChat, undefined, "an optional call the engine lacks stays absent");
  assert.deepEqual(b.identity, r.backend.identity);
  assert.equal(b.provenance, undefined);
  await b.close();
  assert.equal(r.closed, 1);
  assert.equal(wrapBackend(r.backend), r.backend, "no middleware: the backend itself");
});

test("generation defaults sit under the call's own parameters; the template's stop strings join them", async () => {
  const r = recorder();
  const setup = resolveModelPrompting({
    id: "m",
    backend: "openai",
    endpoints: "http://127.0.0.1:9/v1",
    template: { source: "named", name: "llama-2" },
    system_prompt: { text: "Be terse." },
  });
  const b = wrapBackend(
    r.backend,
    generationDefaults({ maxTokens: 7, temperature: 0.5, stop: ["\n\n"] }),
    prompting(setup, { mode: "text", modelId: "m" }),
  );
  assert.equal(b.capabilities.chat, true, "the prompting layer makes a completion engine chat");
  assert.equal(b.provenance?.templateSource, "named");
  assert.equal(b.provenance?.templateName, "llama-2");
  assert.equal(b.provenance?.systemPromptSource, "custom");
  const out = await b.generate([{ role: "user", content: "Hi" }], { temperature: 0 });
  assert.equal(out.promptAsSent, "<s>[INST] <<SYS>>\nBe terse.\n<</SYS>>\n\nHi [/INST]");
  const sent = r.seen.at(-1);
  assert.equal(sent?.input, "[INST] <<SYS>>\nBe terse.\n<</SYS>>\n\nHi [/INST]", "sent without BOS");
  assert.deepEqual(sent?.params, { maxTokens: 7, temperature: 0, stop: ["\n\n", "</s>"] });
  await b.generate("plain", {});
  assert.deepEqual(r.seen.at(-1), { input: "plain", params: { maxTokens: 7, temperature: 0.5, stop: ["\n\n"] } });
});

test("lazy loading: nothing opens until a call needs the engine; its identity is checked; close reopens", async () => {
  const identity = { id: "z", backend: "rec", name: "z.gguf", fileSha256: "ab" };
  let opened = 0;
  let loads = 0;
  let engine = recorder(identity);
  const b = wrapBackend(
    unopened(identity, engine.backend.capabilities),
    lazyLoading(
      async () => {
        opened++;
        return engine.backend;
      },
      { provides: ["tokenize", "renderChat"], expect: identity, onLoad: () => loads++ },
    ),
  );
  assert.equal(b.identity, identity);
  assert.equal(opened, 0);
  assert.ok(b.tokenize && b.renderChat, "the declared optional calls exist before the engine does");
  await b.close();
  assert.equal(opened, 0, "closing an unopened model opens nothing");
  await b.generate("p", {});
  await b.loglikelihood([{ context: "c", continuation: "x" }]);
  assert.deepEqual(await b.tokenize?.("A"), [65]);
  assert.equal(opened, 1, "opened once for every call");
  assert.equal(loads, 1);
  await assert.rejects(
    async () => b.renderChat?.([{ role: "user", content: "x" }]),
    (e: unknown) => e instanceof ModelmapError && e.code === "unsupported",
  );
  await b.close();
  assert.equal(engine.closed, 1);

  engine = recorder({ ...identity, fileSha256: "other" });
  await assert.rejects(
    () => b.generate("p", {}),
    (e: unknown) => e instanceof ModelmapError && e.code === "internal" && /reports identity/.test(e.message),
  );
  assert.equal(engine.closed, 1, "an engine with the wrong identity is closed again");
});

test("an unopened backend refuses calls that no lazy layer answers", async () => {
  const r = recorder();
  const b = unopened(r.backend.identity, r.backend.capabilities);
  await assert.rejects(
    () => b.generate("p", {}),
    (e: unknown) => e instanceof ModelmapError && e.code === "internal",
  );
});
