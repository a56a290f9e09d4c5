import { html } from 'hono/html';
import type { Notification } from './local-channels.js';

/**
 * The `/notifier` badge as a small HTML page. Every value goes through
 * hono's `html` template, which escapes it: a personnage's name is the
 * sender's text and must never become markup.
 */
export function badgePage(badge: { total: number; latest: Notification[] }) {
  const items = badge.latest.map(
    (n) => html`<li>
      <span class="badge ${n.niveau}">${n.niveau}</span>
      <strong>${n.nom}</strong>
      <time datetime="${n.notifiedAt}">${n.notifiedAt}</time>
    </li>`,
  );
  return html`<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>relais · notifications (${badge.total})</title>
  <style>
    body { font-family: system-ui, sans-serif; margin: 2rem; }
    .badge { border-radius: 1em; padding: 0 .6em; background: #ddd; }
    .expert, .légendaire { background: #fc6; }
    time { color: #666; font-size: .85em; }
  </style>
</head>
<body>
  <h1>Notifications <span class="badge">${badge.total}</span></h1>
  ${
    items.length === 0
      ? html`<p>Aucune notification pour l’instant.</p>`
      : html`<ul>${items}</ul>`
  }
</body>
</html>
`;
}
