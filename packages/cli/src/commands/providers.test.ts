import { presets } from '@429chain/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, temporaryDirectory } from '../testing/run-cli.ts';

let directory: ReturnType<typeof temporaryDirectory>;
beforeAll(() => {
  directory = temporaryDirectory();
});
afterAll(() => directory.remove());

describe('429chain providers', () => {
  it('lists every preset as JSON with its base URL, key variables, models and free-tier limits', async () => {
    const run = await runCli(['providers', '--json'], { cwd: directory.path });
    expect(run.code).toBe(0);
    const listing = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(listing.map((provider) => provider.id)).toEqual(Object.keys(presets));
    const groq = listing.find((provider) => provider.id === 'groq');
    expect(groq).toMatchObject({
      name: 'Groq',
      baseUrl: 'https://api.groq.com/openai/v1',
      envKeys: ['GROQ_API_KEY'],
      keyRequired: true,
    });
    expect(groq?.suggestedModels).toContain('llama-3.1-8b-instant');
    expect(groq?.knownLimits).toMatchObject({ requestsPerMinute: expect.any(Number) });
    expect(listing.find((provider) => provider.id === 'generic')).toMatchObject({ baseUrl: null });
  });

  it('prints one readable block per preset', async () => {
    const run = await runCli(['providers'], { cwd: directory.path });
    expect(run.code).toBe(0);
    for (const id of Object.keys(presets)) expect(run.stdout).toMatch(new RegExp(`^${id} `, 'm'));
    expect(run.stdout).toContain('GROQ_API_KEY');
    expect(run.stdout).toMatch(/free tier: +30 req\/min/);
    expect(run.stdout).not.toContain('\u001b[');
  });
});
