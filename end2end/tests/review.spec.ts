import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { fixture, hydrated, logIn, sendReviewEvent } from "./support";

test("a signed event is reviewed, then shows in Decisions and History", async ({ page, request }) => {
  const reference = `post-${Date.now()}`;
  await sendReviewEvent(request, reference);

  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await logIn(page);
  await page.getByRole("link", { name: reference }).click();
  await expect(page.getByRole("heading", { name: reference })).toBeVisible();
  await page.getByLabel("Remove (r)").check();
  await page.getByLabel("Reason").selectOption("harassment");
  await page.getByLabel("Note (optional)").fill("targeted harassment");
  await page.getByRole("button", { name: "Record decision" }).click();

  await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();
  await expect(page.getByRole("link", { name: reference })).toHaveCount(0);

  await page.getByRole("link", { name: "Decisions" }).click();
  const decision = page.getByRole("row").filter({ hasText: reference });
  await expect(decision).toContainText("remove");
  await expect(decision).toContainText("targeted harassment");
  await expect(decision).toContainText(fixture.E2E_USER);

  await page.getByRole("link", { name: "History" }).click();
  const entries = page.getByRole("row").filter({ hasText: reference });
  await expect(entries.filter({ hasText: "review.decided" })).toHaveCount(1);
  await expect(entries.filter({ hasText: "event.received" })).toHaveCount(1);
});

test("pages are hydrated: navigating does not reload the page", async ({ page }) => {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  await logIn(page);
  await page.evaluate(() => {
    (window as unknown as { sameDocument: boolean }).sameDocument = true;
  });

  await page.getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await page.getByRole("link", { name: "Queue" }).click();
  await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();

  const sameDocument = await page.evaluate(
    () => (window as unknown as { sameDocument?: boolean }).sameDocument,
  );
  expect(sameDocument).toBe(true);
  for (let i = 0; i < 5; i++) {
    await page.reload();
    await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();
    await page.getByRole("link", { name: "Decisions" }).click();
    await expect(page.getByRole("heading", { name: "Decisions" })).toBeVisible();
    await page.getByRole("link", { name: "Queue" }).click();
  }
  expect(problems).toEqual([]);
});

test("every page hydrates when loaded directly, for each role", async ({ browser }) => {
  // The browser matches its resources to the server's by creation order; a page that differs
  // fails to hydrate and reports it on the console.
  test.setTimeout(90_000);
  const pages = ["/", "/decisions", "/history", "/insights", "/inbox", "/deliveries", "/users"];
  for (const user of ["e2e-reviewer", "e2e-manager", fixture.E2E_USER]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && /hydrat|panicked/i.test(message.text())) {
        problems.push(`${page.url()}: ${message.text().slice(0, 200)}`);
      }
    });
    await logIn(page, user);
    for (const path of pages) {
      await page.goto(path);
      await hydrated(page);
    }
    await context.close();
    expect(problems, user).toEqual([]);
  }
});

test("moddesk send posts a sample that lands in the queue", async ({ page }) => {
  const reference = `sample-e2e-${Date.now()}`;

  execFileSync(
    process.env.MODDESK_BIN ?? "moddesk",
    ["send", "--url", `http://127.0.0.1:${fixture.E2E_PORT}/hooks/aegis`, "--type", "review", "--reference", reference],
    { env: { ...process.env, MODDESK_WEBHOOK_SECRET: fixture.E2E_SECRET }, stdio: "pipe" },
  );

  await logIn(page);
  await expect(page.getByRole("link", { name: reference })).toBeVisible();
});

test("a wrong password is refused with one message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("User name").fill(fixture.E2E_USER);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();

  await expect(page.getByRole("alert")).toContainText("Unknown user or wrong password.");
  await expect(page).toHaveURL(/\/login$/);
});
