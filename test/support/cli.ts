/** Running the CLI in-process from tests, with its output kept. */
import { runCli } from "../../src/cli/main.ts";

/** An output stream for runCli that keeps what is written. */
export function capture() {
  let text = "";
  return {
    write: (s: string) => {
      text += s;
      return true;
    },
    get text() {
      return text;
    },
  };
}

/** Runs `modelmap ARGS` in-process: exit code, stdout and stderr. */
export async function runCaptured(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, { stdout, stderr, ...opts });
  return { code, out: stdout.text, err: stderr.text };
}
