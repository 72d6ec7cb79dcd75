/**
 * Opening a model by its id in modelmap.yaml: the service behind `--model ID` everywhere (eval, models check,
 * template render), so that the CLI and the server open configured models the same way.
 */
import { type ConfiguredBackend, type OpenBackendOptions, openBackend } from "../backends/index.ts";
import { findModel, loadConfig } from "../config/load.ts";

export async function openConfiguredModel(
  id: string,
  configPath: string | undefined,
  opts: OpenBackendOptions & { cwd?: string } = {},
): Promise<ConfiguredBackend> {
  const env = opts.env ?? process.env;
  const loaded = loadConfig(configPath, { env, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
  return openBackend(findModel(loaded, id), { ...opts, env, presets: loaded.config.system_prompts });
}
