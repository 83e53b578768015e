// Builds a ranked word list from a transcript: Intl.Segmenter word segmentation, lower-casing, stop words and
// numbers dropped, frequencies counted, ranked by count (ties: first appearance first). Offsets are UTF-16
// code-unit indexes into the transcript, as JavaScript strings count them.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { STOP_WORDS } from './stop-words.ts';

export interface Collocation {
  /** two adjacent content words, e.g. "machine learning" */
  phrase: string;
  count: number;
}

export interface VocabularyEntry {
  word: string;
  count: number;
  /** 1-based position in the ranking */
  rank: number;
  /** offset of the word's first occurrence in the transcript */
  firstSeenAt: number;
  /** the sentence the word first appears in (whitespace collapsed, long sentences windowed around the word) */
  example: string;
  /** only when the analysis was asked for collocations */
  collocations?: Collocation[];
}

export interface VocabularyTotals {
  /** word-like segments in the transcript */
  words: number;
  /** words left after dropping stop words and numbers */
  counted: number;
  /** distinct counted words */
  unique: number;
}

interface WordStats {
  word: string;
  count: number;
  firstSeenAt: number;
  firstLength: number;
}

export interface TranscriptAnalysis {
  readonly totals: VocabularyTotals;
  /** every distinct counted word, best first */
  readonly ranked: readonly WordStats[];
  readonly text: string;
  readonly sentences: readonly Span[];
  readonly collocations: ReadonlyMap<string, ReadonlyMap<string, number>> | null;
}

interface Span {
  start: number;
  end: number;
}

export interface AnalyseOptions {
  /** also count adjacent content-word pairs (premium) */
  collocations?: boolean;
  /** aborts the work between batches of segments (client disconnected) */
  signal?: AbortSignal;
  /** segments processed between yields to the event loop */
  batchSize?: number;
}

export const MAX_EXAMPLE_CHARS = 200;
export const MAX_COLLOCATIONS_PER_WORD = 3;
const MIN_COLLOCATION_COUNT = 2;

const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });
const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const NUMBER_LIKE = /^[\p{N}.,:/'-]+$|^\p{N}+(?:st|nd|rd|th|s|'s)$/u;
const HAS_LETTER = /\p{L}/u;
/** punctuation other than hyphens and apostrophes separates two words, so they form no collocation */
const BREAKS_PHRASE = /[^\p{Zs}\t\-\u2010\u2011'\u2019]/u;

/** The counted form of a word-like segment, or null when it is a stop word, a number or too short. */
export function normaliseWord(segment: string): string | null {
  const lower = segment.toLocaleLowerCase('en').replace(/[\u2018\u2019\u02bc]/g, "'");
  if (NUMBER_LIKE.test(lower) || STOP_WORDS.has(lower)) return null;
  const base = lower.endsWith("'s") ? lower.slice(0, -2) : lower;
  if (base.length < 2 || !HAS_LETTER.test(base) || STOP_WORDS.has(base)) return null;
  return base;
}

export async function analyseTranscript(text: string, options: AnalyseOptions = {}): Promise<TranscriptAnalysis> {
  const { signal, batchSize = 2048 } = options;
  const stats = new Map<string, WordStats>();
  const pairs = options.collocations ? new Map<string, Map<string, number>>() : null;
  let words = 0;
  let counted = 0;
  let previous: string | null = null;
  let processed = 0;

  for (const { segment, index, isWordLike } of wordSegmenter.segment(text)) {
    if (++processed % batchSize === 0) {
      signal?.throwIfAborted();
      await nextTurn();
    }
    if (!isWordLike) {
      if (BREAKS_PHRASE.test(segment)) previous = null;
      continue;
    }
    words++;
    const word = normaliseWord(segment);
    if (word === null) {
      previous = null;
      continue;
    }
    counted++;
    const seen = stats.get(word);
    if (seen) seen.count++;
    else stats.set(word, { word, count: 1, firstSeenAt: index, firstLength: segment.length });
    if (pairs && previous !== null && previous !== word) {
      const phrase = `${previous} ${word}`;
      addPair(pairs, previous, phrase);
      addPair(pairs, word, phrase);
    }
    previous = word;
  }
  signal?.throwIfAborted();

  const ranked = [...stats.values()].sort((a, b) => b.count - a.count || a.firstSeenAt - b.firstSeenAt);
  const sentences = Array.from(sentenceSegmenter.segment(text), ({ index, segment }) => ({
    start: index,
    end: index + segment.length,
  }));
  return { totals: { words, counted, unique: ranked.length }, ranked, text, sentences, collocations: pairs };
}

function addPair(pairs: Map<string, Map<string, number>>, word: string, phrase: string): void {
  let forWord = pairs.get(word);
  if (!forWord) {
    forWord = new Map();
    pairs.set(word, forWord);
  }
  forWord.set(phrase, (forWord.get(phrase) ?? 0) + 1);
}

/** The top `limit` entries, produced one at a time (examples and collocations are computed lazily). */
export function* vocabularyEntries(analysis: TranscriptAnalysis, limit: number): Generator<VocabularyEntry> {
  const count = Math.min(limit, analysis.ranked.length);
  for (let i = 0; i < count; i++) {
    const stats = analysis.ranked[i];
    const entry: VocabularyEntry = {
      word: stats.word,
      count: stats.count,
      rank: i + 1,
      firstSeenAt: stats.firstSeenAt,
      example: exampleSentence(analysis, stats.firstSeenAt, stats.firstLength),
    };
    if (analysis.collocations) entry.collocations = topCollocations(analysis.collocations.get(stats.word));
    yield entry;
  }
}

function topCollocations(phrases: ReadonlyMap<string, number> | undefined): Collocation[] {
  if (!phrases) return [];
  return [...phrases]
    .filter(([, count]) => count >= MIN_COLLOCATION_COUNT)
    .sort(([pa, ca], [pb, cb]) => cb - ca || (pa < pb ? -1 : 1))
    .slice(0, MAX_COLLOCATIONS_PER_WORD)
    .map(([phrase, count]) => ({ phrase, count }));
}

/** The sentence holding [offset, offset+length), at most MAX_EXAMPLE_CHARS around the word. */
export function exampleSentence(analysis: TranscriptAnalysis, offset: number, length: number): string {
  const { start, end } = sentenceAt(analysis.sentences, offset);
  let from = start;
  let to = end;
  if (to - from > MAX_EXAMPLE_CHARS) {
    const room = Math.max(0, Math.floor((MAX_EXAMPLE_CHARS - length) / 2));
    from = Math.max(start, offset - room);
    to = Math.min(end, offset + length + room);
    // do not cut a word in half at either edge of the window
    if (from > start) from = snapForward(analysis.text, from, offset);
    if (to < end) to = snapBackward(analysis.text, to, offset + length);
  }
  const snippet = analysis.text.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > start ? '…' : ''}${snippet}${to < end ? '…' : ''}`;
}

function snapForward(text: string, from: number, limit: number): number {
  const space = text.slice(from, limit).search(/\s/);
  return space === -1 ? from : from + space + 1;
}

function snapBackward(text: string, to: number, limit: number): number {
  const space = text.slice(limit, to).search(/\s\S*$/);
  return space === -1 ? to : limit + space;
}

function sentenceAt(sentences: readonly Span[], offset: number): Span {
  let lo = 0;
  let hi = sentences.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sentences[mid].start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return sentences[lo] ?? { start: offset, end: offset };
}
