/**
 * E.164 numbers: `+`, a country code not starting with 0, at most 15 digits in all
 * (https://www.itu.int/rec/T-REC-E.164). Transfers dial only numbers of this shape.
 */
const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * Refuses a value that is not an E.164 number.
 *
 * @throws TypeError naming `what` when `value` is not `+` and 2 to 15 digits (no leading 0).
 */
export function assertE164(value: string, what: string): void {
  if (!E164.test(value)) throw new TypeError(`${what} must be an E.164 number (+ and up to 15 digits)`);
}
