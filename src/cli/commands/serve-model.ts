import { ModelmapError } from "../../core/errors.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";

export const serveModelCommand: Command = {
  name: "serve-model",
  summary: "serve a GGUF model over an OpenAI-compatible API (with prompt logprobs)",
  usage: `usage: modelmap serve-model FILE.gguf [--port N] [--host HOST] [--ctx-size N] [--template T]
                            [--model-name NAME] [--threads N] [--gpu] [--service-time-ms N]

Serves FILE.gguf in-process (llama.cpp) at http://HOST:PORT/v1 with GET /v1/models,
POST /v1/chat/completions and POST /v1/completions (echo + logprobs + max_tokens 0 returns every prompt
token's logprob, text_offset and top_logprobs, so log-likelihood evaluation works over HTTP).
  --port N           port to listen on (default 8080; 0 picks a free one)
  --host HOST        address to bind (default 127.0.0.1)
  --ctx-size N       context size in tokens (default: the model's training context, at most 4096)
  --template T       chat template: auto (default: the GGUF's, else none), gguf, none, a named template
                     (chatml, llama-2, llama-3, mistral, zephyr, vicuna, alpaca, gemma, phi-3, ...),
                     named:NAME, or a tokenizer_config.json path
  --model-name NAME  model id listed by /v1/models (default: the file name without .gguf)
  --threads N        CPU threads for llama.cpp (default: node-llama-cpp's choice)
  --gpu              use CUDA/Metal/Vulkan when available (default: CPU only)
  --service-time-ms N  serve model requests one at a time, each taking at least N ms (benchmarks: emulates a
                     saturated GPU server)`,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags("serve-model", argv, {
      port: { type: "string" },
      host: { type: "string" },
      "ctx-size": { type: "string" },
      template: { type: "string" },
      "model-name": { type: "string" },
      threads: { type: "string" },
      gpu: { type: "boolean" },
      "service-time-ms": { type: "string" },
    });
    if (positionals.length !== 1) {
      throw new ModelmapError("usage", "serve-model: expected exactly one GGUF file", {
        hint: "run 'modelmap help serve-model'",
      });
    }
    const port = parseNumberFlag("serve-model", "--port", values.port, { int: true, min: 0, max: 65535 }) ?? 8080;
    const contextSize = parseNumberFlag("serve-model", "--ctx-size", values["ctx-size"], { int: true, min: 16 });
    const threads = parseNumberFlag("serve-model", "--threads", values.threads, { int: true, min: 1, max: 1024 });
    const serviceTimeMs = parseNumberFlag("serve-model", "--service-time-ms", values["service-time-ms"], {
      int: true,
      min: 0,
    });
    // Loaded on use: the engine and templates stay out of every other command's start-up.
    const { startModelServer } = await import("../../serve-model/service.ts");
    const server = await startModelServer({
      modelPath: positionals[0] as string,
      port,
      cwd: ctx.cwd,
      gpu: values.gpu ? "auto" : false,
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(contextSize !== undefined ? { contextSize } : {}),
      ...(threads !== undefined ? { threads } : {}),
      ...(serviceTimeMs ? { serviceTimeMs } : {}),
      ...(values.template !== undefined ? { template: values.template } : {}),
      ...(values["model-name"] !== undefined ? { modelName: values["model-name"] } : {}),
    });
    ctx.stdout.write(
      `modelmap: serving ${server.modelName} at ${server.url}/v1 (template: ${server.template.source}${server.template.name ? ` ${server.template.name}` : ""}; Ctrl-C to stop)\n`,
    );
    await new Promise<void>((res) => {
      if (ctx.signal.aborted) res();
      ctx.signal.addEventListener("abort", () => res(), { once: true });
    });
    await server.close();
    return 0;
  },
};
