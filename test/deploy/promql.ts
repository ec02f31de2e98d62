// The series selectors of a PromQL expression (metric name and label matchers), enough to check a dashboard's
// or a rules file's queries against what /metrics exposes. Not a PromQL parser: it reads the selectors out
// of the tokens, skipping functions, aggregations' label lists, keywords, numbers, durations and strings.

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan', 'atan2']);
// Label lists of aggregations and vector matching: `by (a, b)` names labels, not series.
const LABEL_LISTS = /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
const TOKENS =
  /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\$\{[^}]*\}|\$\w+|\{[^}]*\}|\[[^\]]*\]|[a-zA-Z_:][\w:]*|\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|\S/gi;
const MATCHER = /([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;

function matchersOf(braces: string): Matcher[] {
  return [...braces.matchAll(MATCHER)].map((m) => ({
    label: m[1] as string,
    op: m[2] as Matcher['op'],
    value: m[3] as string,
  }));
}

export function selectors(expr: string): Selector[] {
  const tokens = expr.replace(LABEL_LISTS, ' ').match(TOKENS) ?? [];
  const found: Selector[] = [];
  tokens.forEach((token, i) => {
    const next = tokens[i + 1] ?? '';
    if (token.startsWith('{')) {
      // A selector without a name before it names its metric in __name__, or is not one we can check.
      const previous = tokens[i - 1] ?? '';
      if (/^[a-zA-Z_:][\w:]*$/.test(previous) && !KEYWORDS.has(previous.toLowerCase())) return;
      const matchers = matchersOf(token);
      const name = matchers.find((m) => m.label === '__name__' && m.op === '=');
      if (!name) throw new Error(`a selector without a metric name: ${token} in ${expr}`);
      found.push({ metric: name.value, matchers: matchers.filter((m) => m !== name) });
      return;
    }
    if (!/^[a-zA-Z_:][\w:]*$/.test(token) || KEYWORDS.has(token.toLowerCase()) || next === '(') return;
    found.push({ metric: token, matchers: next.startsWith('{') ? matchersOf(next) : [] });
  });
  return found;
}
