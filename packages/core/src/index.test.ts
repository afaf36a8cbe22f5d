import { expect, test } from 'vitest';
import { version } from '@429chain/core';
test('resolves the package to its sources', () => {
  expect(version).toBe('0.1.0');
});
