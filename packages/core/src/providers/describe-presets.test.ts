import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describePresets } from './describe-presets.ts';
import { presets } from './presets/index.ts';

const start = '<!-- presets:start -->';
const end = '<!-- presets:end -->';

it('keeps the preset table in docs/providers.md in sync with the presets', () => {
  const document = readFileSync(new URL('../../../../docs/providers.md', import.meta.url), 'utf8');
  const table = document.slice(document.indexOf(start) + start.length, document.indexOf(end)).trim();
  expect(table, 'regenerate it: node --conditions=@429chain/source scripts/write-provider-docs.ts').toBe(
    describePresets(Object.values(presets)),
  );
});
