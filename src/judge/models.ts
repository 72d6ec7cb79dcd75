import { OpenAIBackend } from "../backends/openai/index.ts";
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";

/**
 * Resolves a `--models`/`--judge` entry to a backend. `NAME@URL` names a model served by any
 * OpenAI-compatible server at URL (ending in /v1); NAME is both modelmap's id and the served model name.
 * Configured model ids go through `configured` (the backend factory over modelmap.yaml) when given.
 */
export async function resolveModel(
  spec: string,
  configured?: (id: string) => Promise<Backend>,
): Promise<{ id: string; backend: Backend }> {
  const at = spec.indexOf("@");
  if (at > 0) {
    const id = spec.slice(0, at);
    const url = spec.slice(at + 1);
    if (!/^https?:\/\//.test(url)) {
      throw new ModelmapError("usage", `model '${spec}': expected NAME@http(s)://host:port/v1`);
    }
    return { id, backend: new OpenAIBackend({ id, model: id, baseUrls: [url] }) };
  }
  if (!configured) {
    throw new ModelmapError("not_found", `unknown model '${spec}'`, {
      hint: "use NAME@http://host:port/v1 for a model behind an OpenAI-compatible server",
    });
  }
  return { id: spec, backend: await configured(spec) };
}

export function splitList(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
}
