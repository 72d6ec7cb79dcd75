/**
 * Server-sent events for `stream: true`: the engine's text pieces go out as OpenAI-style chunks while it
 * generates, then a final chunk with the finish reason, then `data: [DONE]`. A client that disconnects
 * cancels the generation.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Backend, ChatMessage, GenerationParams } from "../backends/types.ts";

export interface StreamShape {
  /** The chunk carrying one text piece (or, with `finish`, the final one with an empty piece). */
  chunk(delta: string, finish: "stop" | "length" | null, first: boolean): unknown;
}

export function streamGeneration(
  c: Context,
  backend: Backend,
  input: ChatMessage[] | string,
  params: GenerationParams,
  shape: StreamShape,
): Response {
  return streamSSE(
    c,
    async (stream) => {
      const ctrl = new AbortController();
      stream.onAbort(() => ctrl.abort(new Error("client disconnected")));
      const onRequestAbort = () => ctrl.abort(new Error("client disconnected"));
      c.req.raw.signal.addEventListener("abort", onRequestAbort, { once: true });
      // Pieces arrive synchronously from the engine's loop; writes are chained so they go out in order.
      let chain: Promise<void> = stream.writeSSE({ data: JSON.stringify(shape.chunk("", null, true)) });
      const send = (delta: string) => {
        if (delta === "") return;
        chain = chain.then(() => stream.writeSSE({ data: JSON.stringify(shape.chunk(delta, null, false)) }));
      };
      try {
        const out = await backend.generate(input, params, { signal: ctrl.signal, onText: send });
        const finish = out.finishReason === "length" ? "length" : "stop";
        chain = chain.then(() => stream.writeSSE({ data: JSON.stringify(shape.chunk("", finish, false)) }));
        await chain;
        await stream.writeSSE({ data: "[DONE]" });
      } finally {
        c.req.raw.signal.removeEventListener("abort", onRequestAbort);
      }
    },
    async (err, stream) => {
      // Headers are gone already: the error travels as an event, as OpenAI-compatible servers do.
      await stream.writeSSE({ data: JSON.stringify({ error: { message: err.message, type: "server_error" } }) });
    },
  );
}
