// What the two queues a message can travel accept, checked independently of the code under test
// (shared/domain/queue-safe-json.ts), and a corpus of the texts that trip one or the other.

/** fauxqs's own check (no `u` flag: anything outside the BMP fails it). */
const FAUXQS_REFUSES = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/;
/** SQS's documented set, by code point. */
const SQS_REFUSES = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export const acceptedByBoth = (text: string) => !FAUXQS_REFUSES.test(text) && !SQS_REFUSES.test(text);

/** JSON texts a queue could refuse, or a serializer could change. */
export const CORPUS: Record<string, string> = {
  emoji: '{"text":"ship it 🚀 👩‍👩‍👧 🇧🇷"}',
  noncharacters: '{"nc":"\uFFFE\uFFFF"}',
  separators: '{"ls":"a\u2028b\u2029c"}',
  loneSurrogateEscape: '{"lone":"\\ud800"}',
  nulEscape: '{"nul":"\\u0000"}',
  rightToLeft: '{"he":"שלום עולם","ar":"مرحبا بالعالم","rlo":"\u202Eabc"}',
  combining: '{"e":"e\u0301","zalgo":"Z\u0351\u0352\u0353a\u0300\u0301"}',
  astralScripts: '{"math":"𝔘𝔫𝔦𝔠𝔬𝔡𝔢","cjk":"𠀀𪜀"}',
  bareString: '"😀"',
};
