import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { Invalid } from '../../http/errors.js';

/** Length bounds of a staff password (argon2 makes long ones cheap to store, not to hash: hence a ceiling). */
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;
/**
 * zxcvbn's score 3 ("safely unguessable": about 10^8 guesses or more). Common
 * and breached passwords of its offline list ("password123", "iloveyou2",
 * "Summer2024") score 0–1 whatever their length.
 */
const MIN_SCORE = 3;

let checker: Promise<ZxcvbnFactory> | null = null;

/** The estimator and its dictionaries (about 7 MB) load on first use, not at start. */
function load(): Promise<ZxcvbnFactory> {
  checker ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
    });
  })();
  return checker;
}

/** Why a password is refused, in words for the person choosing it; null when it is acceptable. */
async function passwordProblem(password: string, userInputs: string[] = []): Promise<string | null> {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  const z = await load();
  // The person's own email and name make a password weaker (zxcvbn treats them as a dictionary).
  const inputs = userInputs.flatMap((s) => s.toLowerCase().split(/[@.\s]+/)).filter((s) => s.length >= 3);
  const result = await z.check(password, inputs);
  if (result.score >= MIN_SCORE) return null;
  const why = result.feedback.warning ? ` (${result.feedback.warning.replace(/\.$/, '').toLowerCase()})` : '';
  const hint = result.feedback.suggestions[0] ? ` ${result.feedback.suggestions[0]}` : ' Add more words or characters.';
  return `is too easy to guess${why}.${hint}`;
}

/** Throws 400 naming `field` when the password is refused. */
export async function requireGoodPassword(field: string, password: string, userInputs: string[] = []): Promise<void> {
  const problem = await passwordProblem(password, userInputs);
  if (problem) throw new Invalid([{ field, message: problem }]);
}
