import type { Logger } from '../core/log.js';
import {
  NIVEAUX,
  type Niveau,
  type PersonnageEvent,
} from '../core/personnage.js';
import { type AppendLog, openAppendLog } from './journal.js';

/** One notification as the `/notifier` badge shows it. */
export interface Notification {
  eventId: string;
  nom: string;
  niveau: Niveau;
  notifiedAt: string;
}

/** The sentence users read, e.g. "Personnage ajouté avec succès : Naruto (expert)". */
export function sentence(nom: string, niveau: string): string {
  return `Personnage ajouté avec succès : ${nom} (${niveau})`;
}

const LINE = /^(\S+) (\S+) Personnage ajouté avec succès : (.*) \((\S+)\)$/;

/**
 * The local channels: a line in `notifications.txt`, a console line and the
 * `/notifier` badge. The file is their journal: a line is
 * `<time> <eventId> <sentence>`, appended and fsynced, and an event whose id
 * is in the file is not notified locally again. The console line and the
 * badge follow the file line, and the badge is rebuilt from the file at
 * start, so the three stay together across redeliveries and restarts.
 */
export class LocalChannels {
  private readonly notified = new Set<string>();
  private readonly recent: Notification[] = [];
  private total = 0;

  private constructor(
    private readonly file: AppendLog,
    private readonly log: Logger,
    private readonly keep: number,
  ) {
    for (const line of file.lines) {
      const match = LINE.exec(line);
      if (!match) continue;
      const [, notifiedAt = '', id = '', nom = '', niveau = ''] = match;
      // Lines written before ids were lower-cased may spell one upper-case.
      const eventId = id.toLowerCase();
      if (this.notified.has(eventId)) continue;
      const known = NIVEAUX.find((n) => n === niveau);
      if (known) this.remember({ eventId, nom, niveau: known, notifiedAt });
    }
  }

  /** Opens `notifications.txt`, keeping the latest `keep` for the badge. */
  static async open(path: string, log: Logger, keep = 20) {
    return new LocalChannels(await openAppendLog(path), log, keep);
  }

  has(eventId: string): boolean {
    return this.notified.has(eventId);
  }

  /** Appends the file line (durable when this resolves), then the rest. */
  async notify(event: PersonnageEvent, now: Date): Promise<void> {
    const notifiedAt = now.toISOString();
    // A name is one line in the file: control characters and the Unicode
    // line and paragraph separators (which end a line for the reader's
    // regular expression) are escaped.
    const nom = event.nom.replace(
      /[\p{Cc}\u2028\u2029]/gu,
      (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    await this.file.append(
      `${notifiedAt} ${event.id} ${sentence(nom, event.niveau)}`,
    );
    this.log.info(
      { channel: 'console', eventId: event.id, niveau: event.niveau },
      sentence(event.nom, event.niveau),
    );
    this.remember({
      eventId: event.id,
      nom: event.nom,
      niveau: event.niveau,
      notifiedAt,
    });
  }

  /** The badge: how many were notified and the latest, newest first. */
  badge(): { total: number; latest: Notification[] } {
    return { total: this.total, latest: [...this.recent].reverse() };
  }

  close(): Promise<void> {
    return this.file.close();
  }

  private remember(notification: Notification): void {
    this.notified.add(notification.eventId);
    this.total += 1;
    this.recent.push(notification);
    if (this.recent.length > this.keep) this.recent.shift();
  }
}
