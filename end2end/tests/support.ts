import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

/** The values serve.sh started moddesk with. */
export const fixture: Record<string, string> = Object.fromEntries(
  readFileSync(path.join(__dirname, "fixture.env"), "utf8")
    .split("\n")
    .filter((line) => line.includes("=") && !line.startsWith("#"))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1).trim()]),
);

/** What a test event says; the defaults are a harassment review. */
export interface EventShape {
  category?: string;
  score?: number;
  excerpt?: string;
}

/** Signs an event the Standard Webhooks way, independently of moddesk's own code. */
export async function sendReviewEvent(
  request: APIRequestContext,
  reference: string,
  shape: EventShape = {},
) {
  const category = shape.category ?? "harassment";
  const score = shape.score ?? 0.77;
  const id = `evt_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id,
    type: "moderation.review",
    created_at: new Date().toISOString(),
    data: {
      reference_id: reference,
      score,
      action: "review",
      categories: [
        { name: category, score },
        { name: "spam", score: 0.1 },
      ],
      content: { kind: "comment", excerpt: shape.excerpt ?? `Excerpt of ${reference}` },
      subject: "user_e2e",
    },
  });
  const key = Buffer.from(fixture.E2E_SECRET.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");

  const response = await request.post("/hooks/aegis", {
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": `v1,${signature}`,
    },
    data: body,
  });
  expect(response.status(), await response.text()).toBe(200);
}

/** Logs in through the login form (as the admin unless `user` is given) and waits for the
 * queue to be live. */
export async function logIn(page: Page, user: string = fixture.E2E_USER) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(fixture.E2E_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();
  await hydrated(page);
}

/** Waits until the page reacts to input (keyboard shortcuts need the browser bundle). */
export async function hydrated(page: Page) {
  await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
}
