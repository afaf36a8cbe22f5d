/** Rewrites the preset table in docs/providers.md from the presets themselves. */
import { readFileSync, writeFileSync } from 'node:fs';
import { describePresets } from '../packages/core/src/providers/describe-presets.ts';
import { presets } from '../packages/core/src/providers/presets/index.ts';

const path = new URL('../docs/providers.md', import.meta.url);
const document = readFileSync(path, 'utf8');
const start = '<!-- presets:start -->';
const end = '<!-- presets:end -->';
const before = document.slice(0, document.indexOf(start) + start.length);
const after = document.slice(document.indexOf(end));
writeFileSync(path, `${before}\n${describePresets(Object.values(presets))}\n${after}`);
