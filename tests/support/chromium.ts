import { chromium, type Browser } from "@playwright/test";

/** The system Chromium (CHROMIUM_PATH, else /usr/bin/chromium), quiet: no sandbox, GPU or background traffic. Benches launch it this way. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
