type Frame =
  | { kind: 'object'; keys: Set<string>; key: string; expectKey: boolean }
  | { kind: 'array'; index: number };

/** Stop after this many: the answer names some, not all of a hostile body. */
const MAX_REPORTED = 20;

/**
 * The dotted paths of the keys that an object of `text` repeats (escapes
 * decoded, so `"nom"` and `"n\u006fm"` are the same key). `text` must be
 * valid JSON, already accepted by `JSON.parse`. Walks the text with an
 * explicit stack, so deep nesting cannot overflow the call stack.
 */
export function duplicateKeyPaths(text: string): string[] {
  const found: string[] = [];
  const stack: Frame[] = [];
  const pathTo = (key: string) =>
    [
      ...stack
        .slice(0, -1)
        .map((f) => (f.kind === 'object' ? f.key : String(f.index))),
      key,
    ].join('.');

  for (let i = 0; i < text.length && found.length < MAX_REPORTED; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === '{') {
      stack.push({ kind: 'object', keys: new Set(), key: '', expectKey: true });
    } else if (ch === '[') {
      stack.push({ kind: 'array', index: 0 });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',' && top) {
      if (top.kind === 'object') top.expectKey = true;
      else top.index++;
    } else if (ch === ':' && top?.kind === 'object') {
      top.expectKey = false;
    } else if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) found.push(pathTo(key));
        top.keys.add(key);
        top.key = key;
      }
      i = end;
    }
  }
  return found;
}
