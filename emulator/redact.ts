/**
 * Text with every `token=<secret>` query parameter hidden: push endpoint
 * URLs carry the push token, and the emulator prints them when a push
 * fails.
 */
export function redactToken(text: string): string {
  return text.replace(/([?&]token=)[^&\s"']*/g, '$1[redacted]');
}
