import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningServer, startServer } from '@429chain/server';
import type { ConsoleMessage, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { launchChromium } from './launch-chromium.ts';
import { fallbackAnswer, groqMinuteLimit, startUpstreams, type Upstreams } from './mock-upstreams.ts';
import { seedHistory } from './seed-history.ts';

/**
 * The dashboard end to end: the built app served by the REAL server over loopback
 * mock providers, driven by Chromium. Each step also writes the screenshot of its
 * page (1280×800), into docs/screenshots under `pnpm screenshots`.
 */

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const distDirectory = join(packageDirectory, 'dist');
/** `pnpm screenshots` refreshes the committed ones; a plain test run keeps its own beside the build. */
const screenshotDirectory = process.env.CHAIN429_WRITE_SCREENSHOTS
  ? join(packageDirectory, '..', '..', 'docs', 'screenshots')
  : join(packageDirectory, 'test-results', 'screenshots');

const providerKeys = {
  groq: 'gsk_e2e_mock_key_00000000groq',
  cerebras: 'csk-e2e-mock-key-0000cerebras',
  openrouter: 'sk-or-v1-e2e-mock-key-0000or',
  /** Typed into the form; must never appear on any page. */
  added: 'sk-local-e2e-secret-key-9876',
};

function configText(upstreams: Upstreams): string {
  return `# 429chain config for the dashboard's end-to-end tests.
settings:
  defaultChain: fast

providers:
  - id: groq
    type: groq
    apiKey: ${providerKeys.groq}
    baseUrl: ${upstreams.groq.url}
    models: [llama-3.1-8b-instant, llama-3.3-70b-versatile]
  - id: cerebras
    type: cerebras
    apiKey: ${providerKeys.cerebras}
    baseUrl: ${upstreams.cerebras.url}
    models: [llama3.1-8b]
  - id: openrouter
    type: openrouter
    apiKey: ${providerKeys.openrouter}
    baseUrl: ${upstreams.openrouter.url}
    models: ['meta-llama/llama-3.3-70b-instruct:free']
    rateLimits: { requestsPerMinute: 20, requestsPerDay: 50 } # OpenRouter's free tier sends no headers

chains:
  # Fast and free first; the biggest quota last.
  - name: fast
    entries:
      - { provider: groq, model: llama-3.1-8b-instant }
      - { provider: cerebras, model: llama3.1-8b }
      - { provider: openrouter, model: 'meta-llama/llama-3.3-70b-instruct:free' }
  - name: quality
    entries:
      - { provider: openrouter, model: 'meta-llama/llama-3.3-70b-instruct:free' }
      - { provider: groq, model: llama-3.3-70b-versatile }
`;
}

/** A little live traffic through /v1, so buckets are known from real headers. */
async function sendTraffic(url: string): Promise<void> {
  const prompts = [
    'What does HTTP 429 mean?',
    'Give me a haiku about free tiers.',
    'Summarise a token bucket.',
  ];
  const send = async (model: string, index: number) => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        stream: index % 3 === 0,
        messages: [{ role: 'user', content: prompts[index % prompts.length] }],
      }),
    });
    await response.text();
    expect(response.status).toBe(200);
  };
  for (let index = 0; index < 8; index++) await send('fast', index);
  for (let index = 0; index < 3; index++) await send('cerebras/llama3.1-8b', index);
  for (let index = 0; index < 3; index++) await send('quality', index);
}

/** The seconds a countdown shows (`42s`, `3m 05s`, `1h 02m`). */
function secondsOf(text: string): number {
  const hours = /(\d+)h/.exec(text)?.[1];
  const minutes = /(\d+)m/.exec(text)?.[1];
  const seconds = /(\d+)s/.exec(text)?.[1];
  return Number(hours ?? 0) * 3_600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0);
}

/** The form field (label, control, hint, error) whose label is `label`. */
function fieldNamed(scope: Page | Locator, label: string): Locator {
  const page = 'page' in scope && typeof scope.page === 'function' ? scope.page() : (scope as Page);
  return scope.locator('.field').filter({ has: page.locator('label').getByText(label, { exact: true }) });
}

describe('dashboard', () => {
  let upstreams: Upstreams;
  let server: RunningServer;
  let directory: string;
  let configPath: string;
  let dbPath: string;
  let adminKey: string;
  let closeBrowser: (() => Promise<void>) | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  /** Network errors a step provokes on purpose; Chromium logs them as console errors. */
  const expectedFailures: Array<{ path: string; status: number }> = [];
  /** While the server restarts, Chromium logs the cut stream and each refused reconnection. */
  let serverDown = false;

  const screenshot = async (name: string) => {
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(screenshotDirectory, `${name}.png`) });
  };

  const go = async (linkName: string) => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: linkName, exact: true })
      .click();
    await expect.poll(() => page.locator('h1').first().textContent()).toBe(linkName);
  };

  const configOnDisk = async () =>
    parse(await readFile(configPath, 'utf8')) as {
      chains: Array<{
        name: string;
        strategy?: string;
        entries: Array<{ provider: string; model: string; tier?: number }>;
      }>;
      providers: Array<{ id: string }>;
    };

  const chainOnDisk = async (name: string) =>
    (await configOnDisk()).chains
      .find((chain) => chain.name === name)
      ?.entries.map((entry) => entry.provider);

  beforeAll(async () => {
    upstreams = await startUpstreams();
    directory = await mkdtemp(join(tmpdir(), '429chain-dashboard-e2e-'));
    configPath = join(directory, '429chain.yaml');
    await writeFile(configPath, configText(upstreams));
    dbPath = join(directory, 'data', '429chain.db');
    await mkdir(dirname(dbPath), { recursive: true });
    await mkdir(screenshotDirectory, { recursive: true });
    await seedHistory(dbPath, Date.now());
    server = await startServer({ configPath, port: 0, dbPath, dashboardDirectory: distDirectory });
    adminKey = (await readFile(join(directory, 'data', 'admin.key'), 'utf8')).trim();
    await sendTraffic(server.url);

    const browser = await launchChromium();
    closeBrowser = browser.close;
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) =>
      consoleErrors.push(`pageerror: ${error.message} during "${expect.getState().currentTestName}"`),
    );
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error') return;
      const url = message.location().url;
      const expected = expectedFailures.findIndex(
        (failure) =>
          message.text().includes(`status of ${failure.status}`) && new URL(url).pathname === failure.path,
      );
      if (expected !== -1) {
        expectedFailures.splice(expected, 1);
        return;
      }
      // A restart cuts the live stream and refuses reconnections until the new server listens.
      if (serverDown && /net::ERR_/.test(message.text()) && new URL(url).pathname.startsWith('/api/')) return;
      consoleErrors.push(`console: ${message.text()} (${url}) during "${expect.getState().currentTestName}"`);
    });
  });

  afterAll(async () => {
    await closeBrowser?.();
    await server?.close();
    await upstreams?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('explains where the admin key is, refuses a wrong one and signs in with the right one', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in to the dashboard');
    expect(await page.getByText('data/admin.key', { exact: false }).first().isVisible()).toBe(true);
    await screenshot('login');

    expectedFailures.push({ path: '/api/info', status: 401 });
    await page.getByLabel('Admin key').fill('not-the-admin-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => fieldNamed(page, 'Admin key').locator('.field-error').textContent())
      .toContain('did not accept');

    await page.getByLabel('Admin key').fill(adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('h1').first().textContent()).toBe('Overview');
    expect(await page.evaluate(() => sessionStorage.getItem('429chain.adminKey'))).toBe(adminKey);
    await expect.poll(() => page.locator('.connection-label').textContent()).toContain('Live');
  });

  it('draws usage per provider and the free capacity left', async () => {
    await expect.poll(() => page.locator('.chart-canvas canvas').count()).toBe(5);
    const answered = await page
      .locator('.kpi')
      .filter({ hasText: 'Requests answered' })
      .locator('.kpi-value')
      .textContent();
    expect(Number(answered?.replace(/\D/g, ''))).toBeGreaterThan(100);
    const groqCard = page.locator('.capacity-card[data-provider="groq"]');
    await expect.poll(() => groqCard.textContent()).toContain('resets in');
    expect(await page.locator('.capacity-card').count()).toBe(3);
    await page.locator('.chart-canvas').first().hover();
    await screenshot('overview');
  });

  it('adds a provider through the form, with a validation error next to its field', async () => {
    await go('Providers');
    expect(await page.locator('.provider-card').count()).toBe(3);
    // Keys are masked: only their last four characters.
    expect(await page.locator('.provider-card[data-provider="groq"] .key-mask').textContent()).toBe('…groq');

    await page.getByRole('button', { name: 'Add provider' }).click();
    const form = page.locator('form.provider-form');
    await form.getByLabel('Preset').selectOption('generic');
    await form.getByLabel('Id', { exact: true }).fill('local-llm');
    await form.getByLabel('Display name (optional)').fill('Local vLLM');
    await form.getByLabel('Base URL').fill('not a url');
    await form.getByLabel('API key').fill(providerKeys.added);
    await form.getByLabel('Models').fill('qwen2.5-7b-instruct');
    expectedFailures.push({ path: '/api/providers', status: 400 });
    await form.getByRole('button', { name: 'Add provider' }).click();

    const baseUrlField = fieldNamed(form, 'Base URL');
    await expect.poll(() => baseUrlField.locator('.field-error').textContent()).toContain('valid URL');
    expect(await baseUrlField.locator('input').getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Base URL').fill(upstreams.spare.url);
    await form.getByRole('button', { name: 'Add provider' }).click();
    const card = page.locator('.provider-card[data-provider="local-llm"]');
    await card.waitFor();
    expect(await card.locator('.key-mask').textContent()).toBe('…9876');
    expect((await configOnDisk()).providers.map((provider) => provider.id)).toContain('local-llm');

    await card.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => card.locator('.test-result').textContent()).toContain('Answered');
    expect(await card.locator('.trail-step').count()).toBe(1);
    expect(await page.content()).not.toContain(providerKeys.added);
    await page.locator('.provider-card[data-provider="groq"]').scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot('providers');
  });

  it('builds a chain by drag-and-drop and with the keyboard, and writes the config file', async () => {
    await go('Chains');
    await page.getByRole('button', { name: 'New chain' }).click();
    const create = page.locator('form.new-chain');
    await create.getByLabel('Chain name').fill('smart');
    await create.getByLabel('Provider').selectOption('openrouter');
    await create.getByRole('button', { name: 'Create chain' }).click();
    await expect.poll(() => page.evaluate(() => window.location.pathname)).toBe('/chains/smart');
    await expect.poll(() => chainOnDisk('smart')).toEqual(['openrouter']);

    const addEntry = page.locator('form.add-entry');
    for (const [provider, model] of [
      ['groq', 'llama-3.3-70b-versatile'],
      ['cerebras', 'llama3.1-8b'],
    ] as const) {
      await addEntry.getByLabel('Provider').selectOption(provider);
      await addEntry.getByLabel('Model').fill(model);
      await addEntry.getByRole('button', { name: 'Add entry' }).click();
      await page.locator(`.entry-row[data-entry="${provider} / ${model}"]`).waitFor();
    }
    await expect.poll(() => chainOnDisk('smart')).toEqual(['openrouter', 'groq', 'cerebras']);

    // Drag the last entry to the top with the mouse.
    const rows = page.locator('.entry-row');
    const from = await rows.nth(2).locator('.drag-handle').boundingBox();
    const to = await rows.nth(0).boundingBox();
    if (!from || !to) throw new Error('entries not laid out');
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 - 8, { steps: 4 });
    await page.mouse.move(from.x + from.width / 2, to.y + 4, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => chainOnDisk('smart')).toEqual(['cerebras', 'openrouter', 'groq']);
    await expect.poll(() => page.locator('.save-indicator').textContent()).toContain('Saved');

    // Move the last entry up one place with the keyboard: Space lifts, arrow moves, Space drops.
    // Each step waits for what dnd-kit announces to screen readers.
    const announcement = () => page.locator('[id^="DndLiveRegion"]').textContent();
    // Let the drop animation of the mouse drag finish first: rows are measured when a drag starts.
    await expect
      .poll(() => rows.evaluateAll((items) => items.every((item) => !(item as HTMLElement).style.transform)))
      .toBe(true);
    const handle = rows.nth(2).locator('.drag-handle');
    await handle.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => handle.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(announcement).toContain('groq / llama-3.3-70b-versatile is over position 3 of 3');
    // An arrow pressed in the very frame dnd-kit re-measures its rows can be lost; a person would press again.
    await expect
      .poll(
        async () => {
          if ((await announcement())?.includes('is over position 2 of 3')) return true;
          await page.keyboard.press('ArrowUp');
          return (await announcement())?.includes('is over position 2 of 3');
        },
        { interval: 400 },
      )
      .toBe(true);
    await page.keyboard.press('Space');
    await expect.poll(() => chainOnDisk('smart')).toEqual(['cerebras', 'groq', 'openrouter']);

    // And with the visible buttons.
    await page.getByRole('button', { name: 'Move groq / llama-3.3-70b-versatile up' }).click();
    await expect.poll(() => chainOnDisk('smart')).toEqual(['groq', 'cerebras', 'openrouter']);
    expect(await page.locator('.entry-row .badge').count()).toBe(3);
    await page.mouse.move(0, 0);
    await screenshot('chains');

    // Interchangeable free models: expiring first, with one entry kept for last in a tier of its own.
    const smart = async () => (await configOnDisk()).chains.find((chain) => chain.name === 'smart');
    expect(await page.locator('.entry-tier').count()).toBe(0);
    await page.getByLabel('Order', { exact: true }).selectOption('expiring-first');
    await expect.poll(async () => (await smart())?.strategy).toBe('expiring-first');
    const tier = page.getByLabel('Tier of openrouter / meta-llama/llama-3.3-70b-instruct:free');
    await tier.fill('2');
    await expect
      .poll(async () => (await smart())?.entries.map((entry) => entry.tier ?? 1))
      .toEqual([1, 1, 2]);
    await page.getByLabel('Order', { exact: true }).selectOption('ordered');
    await expect.poll(async () => (await smart())?.strategy).toBe('ordered');
    expect(await page.locator('.entry-tier').count()).toBe(0);
  });

  it('streams a playground answer, with a fallback trail after a 429', async () => {
    upstreams.groq.script('llama-3.1-8b-instant', [groqMinuteLimit(45)]);
    await go('Playground');
    await page.getByLabel('Chain', { exact: true }).selectOption('fast');
    await page
      .getByLabel('Prompt', { exact: true })
      .fill('Why would a gateway fall back to another provider?');
    await page.getByRole('button', { name: 'Send' }).click();

    // Sample the answer while it arrives: several partial lengths mean it streamed.
    const answer = page.locator('.answer');
    const lengths = new Set<number>();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const state = await answer.getAttribute('data-state').catch(() => null);
      const text = (await answer.textContent().catch(() => '')) ?? '';
      if (text.length > 0) lengths.add(text.length);
      if (state === 'done' || state === 'failed') break;
      await page.waitForTimeout(60);
    }
    expect(await answer.getAttribute('data-state')).toBe('done');
    expect((await answer.textContent())?.trim()).toBe(fallbackAnswer);
    expect(lengths.size).toBeGreaterThan(3);

    const steps = page.locator('.playground-output .trail-step');
    await expect.poll(() => steps.count()).toBe(2);
    expect(await steps.nth(0).textContent()).toMatch(/failed.*groq.*429 requests per minute/s);
    expect(await steps.nth(1).textContent()).toMatch(/answered.*cerebras/s);
    expect(await page.locator('[data-metric="ttft"]').textContent()).toMatch(/\d+(\.\d+)? (ms|s)/);
    expect(await page.locator('[data-metric="total"]').textContent()).toMatch(/\d+(\.\d+)? (ms|s)/);
    await screenshot('playground');
  });

  it('shows that request in the log, with its trail in the detail view', async () => {
    await go('Requests');
    const first = page.locator('.requests-table tbody tr').first();
    await expect.poll(() => first.textContent()).toContain('admin test');
    expect(await first.textContent()).toMatch(/cerebras.*fallback/s);
    expect(await page.locator('.requests-table tbody tr').count()).toBe(50);
    await screenshot('requests');

    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('.requests-table tbody tr').count()).toBe(100);

    await page.getByLabel('Provider').selectOption('openrouter');
    await expect
      .poll(async () => {
        const providers = await page
          .locator('.requests-table tbody tr td:nth-child(3) strong')
          .allTextContents();
        return providers.length > 0 && providers.every((provider) => provider === 'openrouter');
      })
      .toBe(true);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();

    await first.getByRole('link').click();
    await expect.poll(() => page.locator('h1').first().textContent()).toBe('Request');
    const trail = page.locator('.trail-step');
    await expect.poll(() => trail.count()).toBe(2);
    expect(await trail.nth(0).textContent()).toMatch(/failed.*groq.*429/s);
    expect(await trail.nth(1).textContent()).toMatch(/answered.*cerebras.*TTFT/s);
  });

  it('counts down to the rate-limited provider’s reset on the live board, and resets it', async () => {
    await go('Rate limits');
    const groqRow = page.locator('tr[data-provider="groq"]').first();
    await expect.poll(() => groqRow.locator('.badge').textContent()).toBe('exhausted');
    const countdown = groqRow.locator('time.countdown');
    const before = secondsOf((await countdown.textContent()) ?? '');
    expect(before).toBeGreaterThan(20);
    expect(before).toBeLessThanOrEqual(45);
    // The browser ticks it down between statuses from the server.
    await expect.poll(async () => secondsOf((await countdown.textContent()) ?? '')).toBeLessThan(before);
    await screenshot('ratelimits');

    // Groq's 429 said "Limit 30" for the minute: the board shows it as a learnt limit, and how.
    const learnt = page.locator('.provider-board[data-provider="groq"] tr', { hasText: 'learnt (message)' });
    await expect.poll(() => learnt.count()).toBeGreaterThan(0);
    expect(await learnt.first().textContent()).toContain('the 429 message stated 30');
    expect(await learnt.first().textContent()).toMatch(/in any \d/);

    await page.getByRole('button', { name: 'Reset groq' }).click();
    await expect.poll(() => groqRow.locator('.badge').textContent()).not.toBe('exhausted');
  });

  it('reconnects the live stream after the server restarts', async () => {
    const port = server.port;
    serverDown = true;
    await server.close();
    await expect
      .poll(() => page.locator('.connection-label').textContent())
      .toMatch(/Reconnecting|Connecting/);
    server = await startServer({ configPath, port, dbPath, dashboardDirectory: distDirectory });
    await expect
      .poll(() => page.locator('.connection-label').textContent(), { timeout: 15_000 })
      .toContain('Live');
    serverDown = false;
    // The board is whole again: the new server's first status arrived through the new stream.
    await expect.poll(() => page.locator('tr[data-provider="cerebras"]').count()).toBeGreaterThan(0);
  });

  it('logs out, and no page reported a console error', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in to the dashboard');
    expect(await page.evaluate(() => sessionStorage.getItem('429chain.adminKey'))).toBeNull();
    expect(await page.content()).not.toContain(adminKey);
    expect(consoleErrors).toEqual([]);
    expect(expectedFailures).toEqual([]);
  });
});
