import { expect, test, type Browser, type Page } from "@playwright/test";
import { logIn, sendReviewEvent } from "./support";

/** A live change must show within this long. */
const PROMPTLY = { timeout: 1_000 };

/** The header's count of open items. */
function openCount(page: Page) {
  return page.getByRole("link", { name: /^\d+ open$/ });
}

async function countOf(page: Page): Promise<number> {
  return Number.parseInt((await openCount(page).textContent()) ?? "", 10);
}

/** Waits until the page's live stream is open, and marks the page so a reload would show. */
async function following(page: Page) {
  await expect(openCount(page)).toHaveAttribute("data-live", "open");
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
}

async function notReloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
}

async function reviewerPage(browser: Browser, user: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await logIn(page, user);
  await following(page);
  return page;
}

test("an arriving event and a claim show on open queue pages without a reload", async ({ browser, request }) => {
  const reference = `live-${Date.now()}`;
  const watching = await reviewerPage(browser, "e2e-reviewer");
  const working = await reviewerPage(browser, "e2e-reviewer2");
  const before = await countOf(watching);

  await sendReviewEvent(request, reference);

  for (const page of [watching, working]) {
    await expect(page.getByRole("link", { name: reference })).toBeVisible(PROMPTLY);
    await expect(openCount(page)).toHaveText(`${before + 1} open`, PROMPTLY);
  }

  await working.getByRole("link", { name: reference }).click();
  await working.getByRole("button", { name: "Claim (c)" }).click();
  await expect(working.getByText("held by you")).toBeVisible();

  const row = watching.getByRole("row").filter({ has: watching.getByRole("link", { name: reference }) });
  await expect(row).toContainText("held by e2e-reviewer2", PROMPTLY);
  await notReloaded(watching);
});

test("the current row and the selection stay when items arrive above them", async ({ browser, request }) => {
  const prefix = `keep-${Date.now()}`;
  await sendReviewEvent(request, `${prefix}-old`, { category: "spam", score: 0.2 });
  const page = await reviewerPage(browser, "e2e-reviewer");
  await page.getByLabel("Reference").fill(prefix);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("link", { name: `${prefix}-old` })).toBeVisible();
  await following(page);
  await page.getByLabel(`Select ${prefix}-old`).check();
  await page.getByLabel("Reason").selectOption("spam");

  // Scored higher and due sooner: sorts above the selected row.
  await sendReviewEvent(request, `${prefix}-new`, { category: "self-harm", score: 0.99 });

  await expect(page.getByRole("link", { name: `${prefix}-new` })).toBeVisible(PROMPTLY);
  await expect(page.getByLabel(`Select ${prefix}-old`)).toBeChecked();
  await expect(page.getByText("1 selected")).toBeVisible();
  await expect(page.getByLabel("Reason")).toHaveValue("spam");
  await expect(page.locator("tr.current")).toContainText(`${prefix}-old`);
  await notReloaded(page);
});

test("a page that lost its connection catches up when it is back", async ({ browser, request }) => {
  const reference = `offline-${Date.now()}`;
  const page = await reviewerPage(browser, "e2e-reviewer");

  await page.context().setOffline(true);
  await expect(openCount(page)).toHaveAttribute("data-live", "lost");
  await sendReviewEvent(request, reference);
  await page.context().setOffline(false);

  await expect(openCount(page)).toHaveAttribute("data-live", "open");
  await expect(page.getByRole("link", { name: reference })).toBeVisible(PROMPTLY);
  await notReloaded(page);
});
