import { describe, expect, it } from 'vitest';
import {
  ArchiveBuilder,
  renderArchive,
  scanArchive,
} from '../../functions/archive/layout.js';
import { entry } from './fixtures.js';

describe('ArchiveBuilder', () => {
  it.each([0, 1, 3])(
    'builds what renderArchive renders for %i entries, spans included',
    (count) => {
      const entries = Array.from({ length: count }, (_, i) => entry(i));
      const builder = new ArchiveBuilder();

      const spans = entries.map((e) =>
        builder.add(Buffer.from(JSON.stringify(e))),
      );
      const { file, closeAt } = builder.build();

      expect(file).toEqual(renderArchive(entries));
      const scanned: { offset: number; length: number }[] = [];
      const scan = scanArchive(file, (_, offset, length) => {
        scanned.push({ offset, length });
      });
      expect(scan).toEqual({ kind: 'clean', closeAt, count });
      expect(spans).toEqual(scanned);
    },
  );
});
