// Patterns from a user's rules file, compiled for RE2's linear-time engine (re2js, pure JS): no pattern
// can backtrack for hours on a hostile or unlucky text, which JavaScript's own RegExp would.
import { RE2JS } from 're2js';

/** What a rule needs of a pattern; the built-in rules' own RegExps fit it too. */
export interface TextPattern {
  test(text: string): boolean;
}

/** Why a pattern was refused, as the end of a one-line message. */
export class PatternError extends Error {
  override name = 'PatternError';
}

/** Compiles `source` case-insensitively; PatternError says what is wrong or unsupported. */
export function compilePattern(source: string): TextPattern {
  try {
    return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (error) {
    const detail = (error as Error).message.replace(/^error parsing regexp: /, '');
    if (isJavaScriptRegex(source)) {
      throw new PatternError(
        `uses syntax the linear-time engine does not support (lookaround, backreferences, possessive or ` +
          `over-1000 repeats): ${detail}`,
      );
    }
    throw new PatternError(`is not a valid regular expression: ${detail}`);
  }
}

function isJavaScriptRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
