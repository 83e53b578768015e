// Transcripts whose word lists the tests know by heart.

/**
 * 33 word-like segments; 14 are stop words or numbers (is ×2, everywhere, we, about, and, how, The, the, in,
 * really, 3, 10,000, 1990s), leaving 19 counted occurrences of 13 distinct words. Top five: machine 3, learning 3,
 * models 2, fun 2, today 1.
 */
export const KNOWN_TRANSCRIPT =
  'Machine learning is everywhere. Today we talk about machine learning models, and how models learn.\n' +
  "The model's training data matters: 3 datasets, 10,000 examples in the 1990s. Machine-learning is fun! Really fun.";

/** The first entry of KNOWN_TRANSCRIPT's word list. */
export const KNOWN_FIRST_ENTRY = Object.freeze({
  word: 'machine',
  count: 3,
  rank: 1,
  firstSeenAt: 0,
  example: 'Machine learning is everywhere.',
});
