import { describe, expect, it } from 'vitest';
import {
  type ArchiveStore,
  InvalidCursorError,
} from '../../functions/archive/entry.js';
import { entry } from './fixtures.js';

/**
 * The behaviour every `ArchiveStore` promises, whatever holds the data.
 * `open` gives a fresh, empty store, closed by the caller's cleanup.
 */
export function describeArchiveStore(
  name: string,
  open: () => Promise<ArchiveStore>,
): void {
  describe(`${name} (ArchiveStore contract)`, () => {
    it('keeps 200 distinct events appended concurrently, each once', async () => {
      const store = await open();
      const entries = Array.from({ length: 200 }, (_, i) => entry(i));

      const outcomes = await Promise.all(entries.map((e) => store.append(e)));

      expect(outcomes.every((o) => o === 'archived')).toBe(true);
      const page = await store.list({ limit: 1000 });
      expect(page.items.map((e) => e.id).sort()).toEqual(
        entries.map((e) => e.id).sort(),
      );
    });

    it('writes the same event appended 5 times concurrently once', async () => {
      const store = await open();
      const one = entry(7);

      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => store.append({ ...one })),
      );

      expect(outcomes.sort()).toEqual([
        'archived',
        'duplicate',
        'duplicate',
        'duplicate',
        'duplicate',
      ]);
      expect((await store.list({ limit: 10 })).items).toHaveLength(1);
    });

    it('reports a duplicate publish (other messageId) as a duplicate', async () => {
      const store = await open();
      const first = entry(3);
      await store.append(first);

      const again = await store.append({ ...first, messageId: 'other' });

      expect(again).toBe('duplicate');
      expect((await store.list({ limit: 10 })).items).toEqual([first]);
    });

    it('takes a sender retry republished later (new receivedAt) as a duplicate', async () => {
      const store = await open();
      const first = entry(3);
      await store.append(first);

      const again = await store.append({
        ...first,
        messageId: 'retry',
        receivedAt: '2030-01-01T00:00:00.000Z',
      });

      expect(again).toBe('duplicate');
      expect((await store.list({ limit: 10 })).items).toEqual([first]);
    });

    it('reports a conflict when an archived id comes with other content', async () => {
      const store = await open();
      const first = entry(3);
      await store.append(first);

      const outcome = await store.append({ ...first, nom: 'Quelqu’un' });

      expect(outcome).toBe('conflict');
      expect((await store.list({ limit: 10 })).items).toEqual([first]);
    });

    it('pages in archive order until nextCursor is null', async () => {
      const store = await open();
      const entries = Array.from({ length: 25 }, (_, i) => entry(i));
      for (const e of entries) await store.append(e);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ limit: 10, cursor });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);

      expect(pages).toBe(3);
      expect(seen).toEqual(entries.map((e) => e.id));
    });

    it('filters by niveau and minimum score, and pages the matches', async () => {
      const store = await open();
      for (let i = 0; i < 101; i++) await store.append(entry(i));

      const experts = await store.list({ limit: 100, niveau: 'expert' });
      const high = await store.list({ limit: 5, minScore: 95 });
      const rest = await store.list({
        limit: 5,
        minScore: 95,
        cursor: high.nextCursor ?? '',
      });

      expect(experts.items.map((e) => e.score)).toEqual([
        80, 81, 82, 83, 84, 85, 86, 87, 88, 89,
      ]);
      expect(experts.nextCursor).toBeNull();
      expect(high.items.map((e) => e.score)).toEqual([95, 96, 97, 98, 99]);
      expect(rest.items.map((e) => e.score)).toEqual([100]);
      expect(rest.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not hand out', async () => {
      const store = await open();

      await expect(store.list({ limit: 10, cursor: 'nope' })).rejects.toThrow(
        InvalidCursorError,
      );
    });
  });
}
