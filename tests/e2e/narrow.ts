import { expect, type Locator, type Page, type TestInfo } from "@playwright/test";

/** Helpers for the 360 px checks (issue 13 item 5): what "fits a phone" means, said once. */

/** The page fits its 360 px viewport: nothing scrolls the document sideways. On failure, names the widest offenders. */
export async function fitsNarrow(page: Page, what: string): Promise<void> {
  const { scroll, wide } = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    // What sticks out of a frame that scrolls or clips (a table's frame, the tab bar) widens nothing.
    const framed = (el: HTMLElement) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== "visible") return true;
      return false;
    };
    const wide = [...document.querySelectorAll<HTMLElement>("body *")]
      .filter((el) => el.getBoundingClientRect().right > limit + 1 && !framed(el))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${String(el.className).slice(0, 80)} → ${Math.round(el.getBoundingClientRect().right)}px`);
    return { scroll: document.documentElement.scrollWidth, wide };
  });
  expect(scroll, `${what} is ${scroll}px wide: ${wide.join("; ")}`).toBeLessThanOrEqual(360);
}

/** A title is on screen and at least 120 px of it (or all of it, when shorter) shows: not truncated to nothing. */
export async function titleShows(title: Locator, what: string): Promise<void> {
  await expect(title, what).toBeVisible();
  const { shown, full } = await title.evaluate((el) => ({ shown: el.clientWidth, full: el.scrollWidth }));
  expect(shown, `${what}: ${shown}px of ${full}px show`).toBeGreaterThanOrEqual(Math.min(full, 120) - 1);
}

/** A full-page Chromium screenshot, attached to the test's report. */
export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  const file = info.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await info.attach(name, { path: file, contentType: "image/png" });
}
