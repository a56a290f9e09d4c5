import { NIVEAUX, type Niveau } from '../core/personnage.js';
import { InvalidCursorError } from './entry.js';

/** Where one entry's line lies in the file, prefix included, newline not. */
export interface LineSpan {
  offset: number;
  length: number;
}

/** What a page may filter on. */
export interface EntryFilter {
  niveau?: Niveau | undefined;
  minScore?: number | undefined;
}

/**
 * The in-memory index of a file archive: event id to position (for
 * dedupe), and per position, in archive order, the entry's line span and
 * the fields pages filter on. Typed arrays keep 100,000 entries to a few
 * MB, and nothing is hashed at start.
 */
export class EntryIndex {
  #ids = new Map<string, number>();
  #offsets = new Float64Array(1024);
  #lengths = new Uint32Array(1024);
  /** -1 when the entry (written by hand) has no valid score or niveau. */
  #scores = new Int8Array(1024);
  #niveaux = new Int8Array(1024);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /**
   * The position of the first entry holding `id`, if there is one. Ids
   * compare without regard to case: entries archived before ids were
   * lower-cased on the way in may hold an upper-case spelling.
   */
  positionOf(id: string): number | undefined {
    return this.#ids.get(id.toLowerCase());
  }

  /** Records an entry; returns false when its id was already indexed. */
  add(
    entry: { id: string; score?: unknown; niveau?: unknown },
    span: LineSpan,
  ): boolean {
    if (this.#count === this.#offsets.length) this.#grow();
    const i = this.#count++;
    this.#offsets[i] = span.offset;
    this.#lengths[i] = span.length;
    const score = entry.score;
    this.#scores[i] =
      Number.isInteger(score) &&
      (score as number) >= 0 &&
      (score as number) <= 100
        ? (score as number)
        : -1;
    this.#niveaux[i] = NIVEAUX.indexOf(entry.niveau as Niveau);
    const id = entry.id.toLowerCase();
    if (this.#ids.has(id)) return false;
    this.#ids.set(id, i);
    return true;
  }

  span(i: number): LineSpan {
    return { offset: this.#offsets[i] ?? 0, length: this.#lengths[i] ?? 0 };
  }

  /**
   * Up to `limit` positions matching `filter`, from the one `cursor` names
   * on, and the cursor of the next page (null when nothing matches after).
   */
  page(
    cursor: string | undefined,
    limit: number,
    filter: EntryFilter,
  ): { positions: number[]; nextCursor: string | null } {
    const niveau =
      filter.niveau === undefined ? -1 : NIVEAUX.indexOf(filter.niveau);
    const minScore = filter.minScore ?? -1;
    const positions: number[] = [];
    let i = cursor === undefined ? 0 : decodeCursor(cursor);
    for (; i < this.#count; i++) {
      if (niveau !== -1 && this.#niveaux[i] !== niveau) continue;
      if (minScore !== -1 && (this.#scores[i] ?? -1) < minScore) continue;
      if (positions.length === limit) {
        return { positions, nextCursor: encodeCursor(i) };
      }
      positions.push(i);
    }
    return { positions, nextCursor: null };
  }

  #grow(): void {
    const size = this.#offsets.length * 2;
    const grow = <T extends Float64Array | Uint32Array | Int8Array>(
      from: T,
      to: T,
    ): T => {
      to.set(from);
      return to;
    };
    this.#offsets = grow(this.#offsets, new Float64Array(size));
    this.#lengths = grow(this.#lengths, new Uint32Array(size));
    this.#scores = grow(this.#scores, new Int8Array(size));
    this.#niveaux = grow(this.#niveaux, new Int8Array(size));
  }
}

// A cursor is the position of the next page's first candidate. Positions
// are stable because the archive only grows at its end.
function encodeCursor(position: number): string {
  return Buffer.from(`p${position}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^p(\d{1,15})$/.exec(text);
  if (!match || encodeCursor(Number(match[1])) !== cursor) {
    throw new InvalidCursorError('not a cursor from this archive');
  }
  return Number(match[1]);
}
