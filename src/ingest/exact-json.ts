// JSON text → value exactly as decode/json-decoder.ts's parseJsonText gives it (integers beyond
// 2^53 as bigints, numbers beyond double's range refused), cheaper for the append API's bodies.
//
// parseJsonText scans the whole text with regular expressions for a number that could leave
// double's exact or finite range (a 16-digit run, a 3-digit exponent) and on a hit parses it with
// a reviver. Here the text is parsed plainly first and the numbers of the result looked at. The
// reviver changes or refuses a number only when its plain value is ±Infinity, an integer beyond
// ±(2^53-1) (every double that large is one), or 0 (a literal that underflows). So:
//   - no such number: the plain result is parseJsonText's result;
//   - an infinity or a big integer: the text goes to parseJsonText;
//   - a 0: the text goes to parseJsonText only when it holds a literal that can underflow at all.
//     Below 2.5e-324 a literal needs an exponent of 3 digits, or (with a 2-digit exponent or none)
//     224 zeros after "0.", so a text with neither /[eE][+-]?0*[1-9]\d{2}/ nor a run of 200 digits
//     has none, and its zeros are zeros.
// Text that does not parse goes to parseJsonText too, for its error.
import { parseJsonText } from '../decode/json-decoder.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** A literal that can underflow to 0 has one of these (see above). */
const CAN_UNDERFLOW = /[eE][+-]?0*[1-9]\d{2}|\d{200}/;

const NONE = 0;
const ZERO = 1;
const REVIVE = 2;

/** What the numbers of a parsed value need: nothing, a look at the text (a 0), or the reviver. */
function numbersNeed(root: unknown): number {
  if (typeof root !== 'object' || root === null) return numberNeed(root);
  let need = NONE;
  // an explicit stack: a body may nest deeper than the call stack goes
  const stack: object[] = [root];
  while (stack.length > 0) {
    const o = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const v = o[i];
        if (typeof v === 'number') {
          if (v === 0) need = ZERO;
          else if (!(v <= MAX_SAFE && v >= -MAX_SAFE)) return REVIVE;
        } else if (typeof v === 'object' && v !== null) stack.push(v);
      }
    } else {
      for (const k in o) {
        const v = o[k];
        if (typeof v === 'number') {
          if (v === 0) need = ZERO;
          else if (!(v <= MAX_SAFE && v >= -MAX_SAFE)) return REVIVE;
        } else if (typeof v === 'object' && v !== null) stack.push(v);
      }
    }
  }
  return need;
}

function numberNeed(v: unknown): number {
  if (typeof v !== 'number') return NONE;
  if (v === 0) return ZERO;
  return v <= MAX_SAFE && v >= -MAX_SAFE ? NONE : REVIVE;
}

/** parseJsonText(text), without its scans of the text when the parsed numbers show it needs none. */
export function parseJsonExact(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseJsonText(text); // throws its DecodeError
  }
  const need = numbersNeed(value);
  if (need === NONE || (need === ZERO && !CAN_UNDERFLOW.test(text))) return value;
  return parseJsonText(text);
}
