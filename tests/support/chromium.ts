import { chromium, type Browser, type LaunchOptions } from "@playwright/test";

/** The system Chromium (CHROMIUM_PATH, else /usr/bin/chromium), quiet: no sandbox, GPU or background traffic. The e2e config and the benches launch it this way. */
export function chromiumLaunchOptions(extraArgs: string[] = []): LaunchOptions {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}
