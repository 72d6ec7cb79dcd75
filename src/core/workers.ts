/**
 * The flags a worker thread should start with: the process's own (a loader such as tsx's, memory settings), less
 * `--input-type`. A process started as `node --input-type=module -e ...` (or reading its code from standard input)
 * has it among its flags, and a worker that inherits it fails to start from a file ("--input-type can only be used
 * with string input") or, from an eval'd CommonJS string, runs it as an ES module ("require is not defined").
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--input-type")
      i++; // its value is the next argument
    else if (!a.startsWith("--input-type=")) out.push(a);
  }
  return out;
}
