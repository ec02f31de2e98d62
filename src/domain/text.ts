// Provider text is data, not markup for a terminal: the rules that make it safe to print on one line or to
// keep in a normalized column. Raw payloads are never cleaned (renormalize re-reads them byte for byte).

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding escape sequences is the point
const ANSI_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
const LINE_BREAKS = /[\t\n\r\v\f\u2028\u2029]+/g;
// C0/C1 controls plus bidi overrides, which can make text read differently from what it is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same, sparing line feeds and tabs (a commit message's paragraphs).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One terminal line: no escape sequences, no line breaks, no control characters. */
export function lineText(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(LINE_BREAKS, ' ').replace(CONTROLS, '');
}

/** Provider text inside one of our messages: one line, bounded, in quotes so it reads as data. */
export function quoted(text: string, max = 200): string {
  const line = lineText(text).trim();
  return JSON.stringify(line.length > max ? `${line.slice(0, max)}…` : line);
}

/**
 * Longest normalized text column, in characters: far above any real commit message or reason, small
 * enough that one hostile field cannot make every page of runs huge. The raw payload keeps the whole text.
 */
export const STORED_TEXT_MAX = 16 * 1024;

/**
 * A normalized text column: no escape sequences or controls; newlines kept only where `lines` says; cut at
 * STORED_TEXT_MAX characters with a trailing `…`.
 */
export function storedText(text: string, lines = false): string {
  // Cut before cleaning too, so a 200 MB field costs no 200 MB regular-expression passes.
  const head = text.length > 2 * STORED_TEXT_MAX ? text.slice(0, 2 * STORED_TEXT_MAX) : text;
  const clean = head.replace(ANSI_SEQUENCE, '').replace(/\r\n?/g, '\n');
  const safe = lines
    ? clean.replace(CONTROLS_BUT_LINES, '')
    : clean.replace(LINE_BREAKS, ' ').replace(CONTROLS, '');
  if (safe.length <= STORED_TEXT_MAX && head === text) return safe;
  // Never half a surrogate pair.
  const end = /[\ud800-\udbff]/.test(safe.charAt(STORED_TEXT_MAX - 1))
    ? STORED_TEXT_MAX - 1
    : STORED_TEXT_MAX;
  return `${safe.slice(0, end)}…`;
}
