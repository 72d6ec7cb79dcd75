import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's own task definitions. */
export const BUILTIN_TASKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "tasks");
