import { expect, test } from "@playwright/test";
import { fixture, hydrated, logIn, sendReviewEvent } from "./support";

test("a reviewer claims the next item and decides it with the keyboard, then undoes it", async ({ page, request }) => {
  // Self-harm is due in 15 minutes and scored highest: the most urgent item in the queue.
  const reference = `kbd-${Date.now()}`;
  await sendReviewEvent(request, reference, { category: "self-harm", score: 0.99 });
  await logIn(page, "e2e-reviewer");

  await page.keyboard.press("n");
  await expect(page).toHaveURL(/\/items\/\d+$/);
  await expect(page.getByRole("heading", { name: reference })).toBeVisible();
  await expect(page.getByText("held by you")).toBeVisible();
  await hydrated(page);
  await page.keyboard.press("r");
  await page.keyboard.press("1"); // the first reason code

  await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();
  await expect(page.getByRole("status")).toContainText("You removed 1 item.");
  await expect(page.getByRole("link", { name: reference })).toHaveCount(0);
  await page.keyboard.press("u");
  await expect(page.getByRole("link", { name: reference })).toBeVisible();
});

test("two reviewers compete for one item: one wins, the other is told why", async ({ browser, request }) => {
  const reference = `race-${Date.now()}`;
  await sendReviewEvent(request, reference);
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  await logIn(first, "e2e-reviewer");
  await logIn(second, "e2e-reviewer2");
  for (const page of [first, second]) {
    await page.getByRole("link", { name: reference }).click();
    await expect(page.getByRole("heading", { name: reference })).toBeVisible();
    await hydrated(page);
  }

  await first.getByRole("button", { name: "Claim (c)" }).click();
  await expect(first.getByText("held by you")).toBeVisible();
  await second.getByLabel("Approve (a)").check();
  await second.getByRole("button", { name: "Record decision" }).click();
  await first.getByLabel("Approve (a)").check();
  await first.getByRole("button", { name: "Record decision" }).click();

  await expect(second.getByRole("alert")).toContainText("being worked on by e2e-reviewer");
  await expect(first.getByRole("heading", { name: "Review queue" })).toBeVisible();
  await expect(first.getByRole("status")).toContainText("You approved 1 item.");
});

test("several items are removed at once and one undo brings them all back", async ({ page, request }) => {
  const prefix = `bulk-${Date.now()}`;
  const references = [1, 2, 3].map((n) => `${prefix}-${n}`);
  for (const reference of references) await sendReviewEvent(request, reference, { category: "spam" });
  await logIn(page, "e2e-reviewer");
  await page.getByLabel("Reference").fill(prefix);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("link", { name: references[2] })).toBeVisible();

  for (const reference of references) await page.getByLabel(`Select ${reference}`).check();
  await expect(page.getByText("3 selected")).toBeVisible();
  await page.getByLabel("Reason").selectOption("spam");
  await page.getByRole("button", { name: "Remove (r)" }).click();

  await expect(page.getByRole("status")).toContainText("You removed 3 items.");
  for (const reference of references) await expect(page.getByRole("link", { name: reference })).toHaveCount(0);
  await page.getByRole("button", { name: "Undo (u)" }).click();
  for (const reference of references) await expect(page.getByRole("link", { name: reference })).toBeVisible();
});

test("a sensitive excerpt stays blurred until revealed, and the reveal is in the history", async ({ page, request }) => {
  const reference = `blur-${Date.now()}`;
  const excerpt = `words nobody should see by accident ${Date.now()}`;
  await sendReviewEvent(request, reference, { category: "hate", excerpt });
  await logIn(page);
  await page.getByRole("link", { name: reference }).click();
  await expect(page.getByRole("heading", { name: reference })).toBeVisible();
  await hydrated(page);

  await expect(page.getByText(excerpt)).toHaveCount(0);
  await page.getByRole("button", { name: "Reveal sensitive content" }).click();
  await expect(page.locator("blockquote.excerpt")).toContainText(excerpt);

  await page.getByRole("link", { name: "History" }).click();
  const reveal = page.getByRole("row").filter({ hasText: reference }).filter({ hasText: "review.revealed" });
  await expect(reveal).toContainText(fixture.E2E_USER);
});

test("a manager cannot reach admin pages, and a reviewer cannot reach the history", async ({ browser }) => {
  const manager = await (await browser.newContext()).newPage();
  await logIn(manager, "e2e-manager");
  await expect(manager.getByRole("link", { name: "History" })).toBeVisible();
  await expect(manager.getByRole("link", { name: "Deliveries" })).toHaveCount(0);
  for (const path of ["/deliveries", "/inbox"]) {
    const response = await manager.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(manager.getByRole("alert")).toContainText("You are not allowed to do this.");
  }

  const reviewer = await (await browser.newContext()).newPage();
  await logIn(reviewer, "e2e-reviewer");
  await expect(reviewer.getByRole("link", { name: "History" })).toHaveCount(0);
  const history = await reviewer.goto("/history");
  expect(history?.status()).toBe(403);
});

test("Next item from an item page opens the next item", async ({ page, request }) => {
  const calm = `calm-${Date.now()}`;
  const urgent = `urgent-${Date.now()}`;
  await sendReviewEvent(request, calm, { category: "spam", score: 0.31 });
  await sendReviewEvent(request, urgent, { category: "self-harm", score: 0.98 });
  await logIn(page, "e2e-reviewer2");
  await page.getByRole("link", { name: calm }).click();
  await expect(page.getByRole("heading", { name: calm })).toBeVisible();
  await hydrated(page);

  await page.keyboard.press("n");

  await expect(page.getByRole("heading", { name: urgent })).toBeVisible();
  await expect(page.getByText("held by you")).toBeVisible();
});
