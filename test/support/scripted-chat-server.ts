/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1 whose replies come from a script: a function from the
 * request (model name and messages) to the reply text. It stands in for a judge model or a chat model
 * where a real model cannot give controlled answers (a random-weight GGUF cannot write a verdict).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  body: Record<string, unknown>;
}

export interface ScriptedServer {
  baseUrl: string;
  requests: ScriptedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startScriptedChatServer(reply: (r: ScriptedRequest) => string): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    if (req.method === "GET" && req.url?.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [{ id: "scripted" }] }));
      return;
    }
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    const body = JSON.parse(raw) as Record<string, unknown>;
    const r: ScriptedRequest = {
      model: String(body.model),
      messages: body.messages as ScriptedRequest["messages"],
      body,
    };
    requests.push(r);
    const text = reply(r);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        model: r.model,
        choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: text.split(/\s+/).length, total_tokens: 10 },
      }),
    );
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}
