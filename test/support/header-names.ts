// Header and parameter names built the way senders build them, for property tests of the
// credential rule and of request capture: words joined by `-`, `_` or `.`, in any case, digits
// after a word. A credential word anywhere, or a last word ending in a credential suffix, makes a
// credential; words from PLAIN (near misses included) never do.
import fc from 'fast-check';
import { CREDENTIAL_SUFFIXES, CREDENTIAL_WORDS, SIGNATURE_HEADERS } from '../../shared/domain/ingest/credential-names.ts';

const PLAIN = ['x', 'github', 'event', 'delivery', 'id', 'content', 'type', 'user', 'agent', 'forwarded', 'for', 'order', 'status', 'api', 'version', 'author', 'keyword', 'keys', 'tokens', 'secretary', 'passport', 'signal', 'design', 'hook', 'shop', 'sha', 'access', 'client'];
const SIGNATURE_PARTS = ['signature', 'hmac', 'sig', 'sign', 'xsignature', 'hmacsha'];
const separator = fc.constantFrom('-', '_', '.');
const digits = fc.constantFrom('', '', '2', '256');
const plainWord = fc.tuple(fc.constantFrom(...PLAIN), digits).map(([word, after]) => word + after);

function joined(words: fc.Arbitrary<string[]>): fc.Arbitrary<string> {
  return words.chain((list) => fc.array(separator, { minLength: list.length, maxLength: list.length }).map((seps) => list.map((word, i) => (i === 0 ? word : seps[i] + word)).join('')));
}
function anyCase(name: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return name.chain((text) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')));
}
/** `words` with `word` put in at any position. */
const withWord = (word: fc.Arbitrary<string>, last = false) =>
  fc.tuple(fc.array(plainWord, { maxLength: 3 }), word, fc.array(plainWord, { maxLength: last ? 0 : 2 })).map(([before, inner, after]) => [...before, inner, ...after]);

export const credentialName = anyCase(
  joined(
    fc.oneof(
      withWord(fc.tuple(fc.constantFrom(...CREDENTIAL_WORDS), digits).map(([word, after]) => word + after)),
      withWord(fc.tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.constantFrom(...CREDENTIAL_SUFFIXES), digits).map(([before, suffix, after]) => before + suffix + after), true),
    ),
  ),
).filter((name) => !SIGNATURE_HEADERS.has(name.toLowerCase()));
export const signatureName = anyCase(joined(fc.tuple(withWord(fc.constantFrom(...SIGNATURE_PARTS)), plainWord).map(([words, last]) => [...words, last])));
export const plainName = anyCase(joined(fc.array(plainWord, { minLength: 1, maxLength: 4 })));
export const secret = fc.uuid().map((uuid) => `SECRET-${uuid}`);
