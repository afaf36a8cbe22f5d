import { describe, expect, it } from 'vitest';
import { openDatabase } from './open-database.ts';
import { createSqliteResponseStore } from './sqlite-response-store.ts';

/** Stored Responses API answers in the server's database, bounded by age and by count. */

const stored = (id: string, createdAt: number) => ({
  id,
  createdAt,
  response: { id, object: 'response' },
  messages: [{ role: 'user', content: `hello ${id}` }],
});

describe('SQLite response store', () => {
  it('keeps, reads and deletes responses', () => {
    const database = openDatabase({ path: ':memory:' });
    const store = createSqliteResponseStore({ database, now: () => 1_000 });
    store.put(stored('resp_a', 1_000));
    expect(store.get('resp_a')).toEqual(stored('resp_a', 1_000));
    expect(store.delete('resp_a')).toBe(true);
    expect(store.delete('resp_a')).toBe(false);
    expect(store.get('resp_a')).toBeUndefined();
    database.close();
  });

  it('drops the oldest beyond maxResponses and anything older than maxAgeDays', () => {
    const database = openDatabase({ path: ':memory:' });
    let now = 10 * 86_400_000;
    const store = createSqliteResponseStore({
      database,
      maxResponses: 3,
      maxAgeDays: 2,
      pruneIntervalMs: 0,
      now: () => now,
    });
    for (let index = 0; index < 5; index++) store.put(stored(`resp_${index}`, now + index));
    expect(
      ['resp_0', 'resp_1', 'resp_2', 'resp_3', 'resp_4'].map((id) => store.get(id) !== undefined),
    ).toEqual([false, false, true, true, true]);
    now += 3 * 86_400_000;
    expect(store.get('resp_4')).toBeUndefined();
    expect(store.prune()).toBe(3);
    database.close();
  });
});
