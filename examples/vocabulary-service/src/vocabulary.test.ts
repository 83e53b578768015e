import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KNOWN_FIRST_ENTRY, KNOWN_TRANSCRIPT } from '../test/transcripts.ts';
import {
  analyseTranscript,
  exampleSentence,
  MAX_EXAMPLE_CHARS,
  normaliseWord,
  type VocabularyEntry,
  vocabularyEntries,
} from './vocabulary.ts';

async function entries(text: string, limit = 100, collocations = false): Promise<VocabularyEntry[]> {
  return [...vocabularyEntries(await analyseTranscript(text, { collocations }), limit)];
}

describe('normaliseWord', () => {
  it('lower-cases and folds typographic apostrophes before the stop-word check', () => {
    assert.equal(normaliseWord('Transformer'), 'transformer');
    assert.equal(normaliseWord('Isn\u2019t'), null);
    assert.equal(normaliseWord("DON'T"), null);
  });
  it('drops numbers, ordinals and decades but keeps words with digits inside', () => {
    for (const n of ['3', '10,000', '3.5', '1990s', '21st', "90's", '12:30']) assert.equal(normaliseWord(n), null, n);
    assert.equal(normaliseWord('mp3'), 'mp3');
  });
  it('strips a possessive and drops one-letter tokens', () => {
    assert.equal(normaliseWord("Model's"), 'model');
    assert.equal(normaliseWord('x'), null);
    assert.equal(normaliseWord("it's"), null);
  });
});

describe('analyseTranscript + vocabularyEntries', () => {
  it('builds the ranked word list of a known transcript', async () => {
    const analysis = await analyseTranscript(KNOWN_TRANSCRIPT);
    assert.deepEqual(analysis.totals, { words: 33, counted: 19, unique: 13 });
    const list = [...vocabularyEntries(analysis, 5)];
    assert.deepEqual(list, [
      KNOWN_FIRST_ENTRY,
      { word: 'learning', count: 3, rank: 2, firstSeenAt: 8, example: 'Machine learning is everywhere.' },
      {
        word: 'models',
        count: 2,
        rank: 3,
        firstSeenAt: 69,
        example: 'Today we talk about machine learning models, and how models learn.',
      },
      { word: 'fun', count: 2, rank: 4, firstSeenAt: 196, example: 'Machine-learning is fun!' },
      {
        word: 'today',
        count: 1,
        rank: 5,
        firstSeenAt: 32,
        example: 'Today we talk about machine learning models, and how models learn.',
      },
    ]);
    assert.equal(KNOWN_TRANSCRIPT.slice(69, 75), 'models');
    assert.equal(KNOWN_TRANSCRIPT.slice(196, 199), 'fun');
  });

  it('returns every word when the limit exceeds the distinct count, ranks 1..n', async () => {
    const list = await entries(KNOWN_TRANSCRIPT, 1000);
    assert.equal(list.length, 13);
    assert.deepEqual(
      list.map((e) => e.rank),
      Array.from({ length: 13 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      list.slice(-2).map((e) => e.word),
      ['datasets', 'examples'],
    );
    assert.ok(!list.some((e) => ['is', 'the', '3', 'really', 'everywhere'].includes(e.word)));
  });

  it('breaks ties by first appearance', async () => {
    const list = await entries('zebra apple zebra apple mango');
    assert.deepEqual(
      list.map((e) => [e.word, e.count]),
      [
        ['zebra', 2],
        ['apple', 2],
        ['mango', 1],
      ],
    );
  });

  it('yields nothing for a transcript of stop words and numbers', async () => {
    const analysis = await analyseTranscript('It is what it is, 42 and 7.');
    assert.equal(analysis.totals.unique, 0);
    assert.deepEqual([...vocabularyEntries(analysis, 10)], []);
  });

  it('counts collocations of adjacent content words, across hyphens but not across punctuation', async () => {
    const list = await entries(KNOWN_TRANSCRIPT, 4, true);
    assert.deepEqual(list[0].collocations, [{ phrase: 'machine learning', count: 3 }]);
    assert.deepEqual(list[1].collocations, [{ phrase: 'machine learning', count: 3 }]);
    // "models, and how models": the comma and the stop words separate them
    assert.deepEqual(list[2].collocations, []);
    const plain = await entries(KNOWN_TRANSCRIPT, 1, false);
    assert.equal(plain[0].collocations, undefined);
  });

  it('ranks collocations by count and keeps at most three that occur at least twice', async () => {
    const text =
      'neural network. neural network. neural network. deep neural. deep neural. neural net. neural net. neural code.' +
      ' neural style. neural style.';
    const [top] = await entries(text, 1, true);
    assert.equal(top.word, 'neural');
    assert.deepEqual(top.collocations, [
      { phrase: 'neural network', count: 3 },
      { phrase: 'deep neural', count: 2 },
      { phrase: 'neural net', count: 2 },
    ]);
  });

  it('windows a long example around the word without cutting words', async () => {
    const filler = Array.from({ length: 80 }, (_, i) => `filler${i}`).join(' ');
    const text = `${filler} serendipity ${filler}.`;
    const analysis = await analyseTranscript(text);
    const offset = text.indexOf('serendipity');
    const example = exampleSentence(analysis, offset, 'serendipity'.length);
    assert.ok(example.length <= MAX_EXAMPLE_CHARS + 2, `${example.length}`);
    assert.match(example, /^…filler\d+ .* serendipity .* filler\d+…$/);
    assert.ok(example.includes(' serendipity '));
  });

  it('collapses runs of whitespace inside the example sentence', async () => {
    const [entry] = await entries('Gradient   descent\tconverges.\nSlowly.');
    assert.equal(entry.example, 'Gradient descent converges.');
  });

  it('stops between batches when the signal aborts', async () => {
    const controller = new AbortController();
    const text = 'word '.repeat(10_000);
    const pending = analyseTranscript(text, { signal: controller.signal, batchSize: 64 });
    controller.abort(new Error('client went away'));
    await assert.rejects(pending, /client went away/);
  });
});
