import { expect, test, type Browser, type Page } from "@playwright/test";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { fixture, logIn, sendReviewEvent } from "./support";

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

test("an arriving event, a claim and a release show on open queue pages without a reload", async ({ browser, request }) => {
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

  await working.getByRole("button", { name: "Release" }).click();
  await expect(row).not.toContainText("held by", PROMPTLY);
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

  // Decided, so the urgent item is not handed out by "Next item" in later tests.
  await page.getByLabel(`Select ${prefix}-new`).check();
  await page.getByRole("button", { name: "Remove (r)" }).click();
  await expect(page.getByRole("status")).toContainText("You removed 2 items.");
});

test("a page whose connection dropped catches up when it is back", async ({ browser, request }) => {
  // Playwright's offline mode leaves an open EventSource alone, so the page talks to moddesk
  // through a proxy that can cut every connection, as a network drop does.
  const proxy = await cuttableProxy(Number(fixture.E2E_PORT));
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${proxy.port}` });
  const page = await context.newPage();
  await logIn(page, "e2e-reviewer");
  await following(page);
  const reference = `dropped-${Date.now()}`;

  try {
    proxy.cut();
    await expect(openCount(page)).toHaveAttribute("data-live", "lost");
    await sendReviewEvent(request, reference);
    await expect(page.getByRole("link", { name: reference })).toHaveCount(0);
    proxy.restore();

    await expect(openCount(page)).toHaveAttribute("data-live", "open");
    await expect(page.getByRole("link", { name: reference })).toBeVisible(PROMPTLY);
    await notReloaded(page);
  } finally {
    await context.close();
    await proxy.close();
  }
});

/** A TCP proxy to `target` whose connections can all be cut at once, refusing new ones until
 * restored. */
async function cuttableProxy(target: number) {
  const open = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target, "127.0.0.1");
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      refusing = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
