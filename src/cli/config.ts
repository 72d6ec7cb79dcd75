/**
 * modelmap.yaml for one command: read once here, at the shell, and handed to the services (with the
 * environment and working directory) as the context models open in. Nothing below the CLI reads it again.
 */
import { existsSync } from "node:fs";
import { configPath, type LoadedConfig, loadConfig } from "../config/load.ts";
import type { ModelContext } from "../models/spec.ts";
import type { CliContext } from "./command.ts";

/** The config file (--config, else $MODELMAP_CONFIG, else ./modelmap.yaml); an error when it is missing. */
export function requireConfig(ctx: CliContext, flag: string | undefined): LoadedConfig {
  return loadConfig(flag, { env: ctx.env, cwd: ctx.cwd });
}

/** The config file when there is one: commands that also run without it (eval --gguf) still read its data_dir. */
export function optionalConfig(ctx: CliContext, flag: string | undefined): LoadedConfig | undefined {
  const file = configPath(flag, ctx.env, ctx.cwd);
  return existsSync(file) ? loadConfig(file, { env: ctx.env, cwd: ctx.cwd }) : undefined;
}

export function modelContext(ctx: CliContext, config: LoadedConfig | undefined): ModelContext {
  return { env: ctx.env, cwd: ctx.cwd, config };
}
