/**
 * Debian's headless Chromium through playwright-core, for the browser tests. Fails with the install command
 * when the browser is missing (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get update && apt-get install -y --no-install-recommends chromium; .ci/run installs it when missing)`,
  );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}
