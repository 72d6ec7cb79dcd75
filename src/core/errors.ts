/**
 * The one error type of modelmap. `code` is a literal union so that the CLI (exit codes) and the server
 * (HTTP status) map codes in exactly one place each.
 */
export type ErrorCode =
  | "usage" // bad command-line arguments
  | "config" // malformed config file
  | "input" // malformed input file (votes, tasks, datasets, templates, prompt sets)
  | "not_found" // a named thing (model, run, task, file) does not exist
  | "template" // a chat template failed to parse or render
  | "backend" // a model server or engine failed
  | "unsupported" // the backend cannot do what was asked (e.g. log-likelihood)
  | "network" // a download or connection that cannot happen (offline)
  | "conflict" // duplicate or inconsistent state
  | "auth" // missing or wrong credentials
  | "forbidden" // refused whoever asks: a request naming a foreign Host or Origin
  | "too_large" // a request body over the server's limit
  | "rate_limited"
  | "refused" // a request understood and checked, then declined for a stated reason (a submission's checks)
  | "aborted"
  | "internal";

export interface ErrorLocation {
  file?: string;
  line?: number;
  field?: string;
}

export class ModelmapError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { location?: ErrorLocation; hint?: string; cause?: unknown } = {},
  ) {
    super(formatMessage(message, options.location), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ModelmapError";
    this.code = code;
    this.location = options.location;
    this.hint = options.hint;
  }
}

function formatMessage(message: string, loc: ErrorLocation | undefined): string {
  if (!loc) return message;
  const where = [
    loc.file,
    loc.line === undefined ? undefined : `line ${loc.line}`,
    loc.field ? `field '${loc.field}'` : undefined,
  ]
    .filter((s): s is string => s !== undefined)
    .join(", ");
  return where ? `${where}: ${message}` : message;
}

/** User errors are the caller's to fix; they exit with code 2. */
const USER_CODES: ReadonlySet<ErrorCode> = new Set([
  "usage",
  "config",
  "input",
  "not_found",
  "template",
  "unsupported",
  "network",
  "auth",
  "forbidden",
  "too_large",
  "refused",
  // A request that conflicts with what is stored (a campaign on a secret set, a second vote) is the caller's to fix.
  "conflict",
]);

export function isUserError(e: unknown): e is ModelmapError {
  return e instanceof ModelmapError && USER_CODES.has(e.code);
}

/** The CLI's single mapping from error codes to process exit codes. */
export function exitCodeFor(e: unknown): number {
  if (isUserError(e)) return 2;
  if (e instanceof ModelmapError && e.code === "aborted") return 130;
  return 1;
}

/** The server's single mapping from error codes to HTTP status. */
export function httpStatusFor(e: unknown): number {
  if (!(e instanceof ModelmapError)) return 500;
  switch (e.code) {
    case "usage":
    case "config":
    case "input":
    case "template":
      return 400;
    case "auth":
      return 401;
    case "forbidden":
      return 403;
    case "too_large":
      return 413;
    case "not_found":
      return 404;
    case "conflict":
      return 409;
    case "refused":
      return 422;
    case "rate_limited":
      return 429;
    case "unsupported":
      return 501;
    case "backend":
    case "network":
      return 502;
    case "aborted":
      return 499;
    case "internal":
      return 500;
  }
}

export function userError(message: string, location?: ErrorLocation, hint?: string): ModelmapError {
  const opts: { location?: ErrorLocation; hint?: string } = {};
  if (location) opts.location = location;
  if (hint) opts.hint = hint;
  return new ModelmapError("input", message, opts);
}

/** Formats a zod issue path as a field name like `models[2].endpoint`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
