// JSON text of parsed JSON values of any depth. JSON.parse reads a 100,000-deep value, but JSON.stringify
// recurses and overflows the stack on it ("Maximum call stack size exceeded"): such a value is written here
// with an explicit stack instead, so a hostile payload can still be stored and shown.

/** JSON.stringify's text for values that came from JSON.parse, whatever their nesting depth. */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return deepJsonText(value);
  }
}

type Task = { text: string } | { value: unknown };

function deepJsonText(root: unknown): string {
  const out: string[] = [];
  const stack: Task[] = [{ value: root }];
  for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
    if ('text' in task) {
      out.push(task.text);
      continue;
    }
    const value = task.value;
    if (Array.isArray(value)) {
      stack.push({ text: ']' });
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i] === undefined ? null : value[i] });
        if (i > 0) stack.push({ text: ',' });
      }
      stack.push({ text: '[' });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      stack.push({ text: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i] as [string, unknown];
        stack.push({ value: v });
        stack.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
      }
      stack.push({ text: '{' });
    } else {
      out.push(JSON.stringify(value) ?? 'null');
    }
  }
  return out.join('');
}

/** Whether a parsed JSON value nests arrays and objects more than `max` levels deep (iteratively). */
export function nestsDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [value, depth] = entry;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
