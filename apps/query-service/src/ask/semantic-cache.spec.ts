import {
  cosine,
  fromFloat32,
  modelId,
  normaliseQuestion,
  parseSearchReply,
  questionHash,
  questionValues,
  toFloat32,
  vectorIndexCreateArgs,
  vectorSearchArgs,
} from './semantic-cache';
import { bagOfWords, scriptedSql } from './stand-in/ollama-stand-in';

describe('semantic cache: questions', () => {
  it('normalises a question: spacing and trailing punctuation, case kept; the hash ignores case', () => {
    expect(normaliseQuestion('  Flights   from JFK to LAX?! ')).toBe('Flights from JFK to LAX');
    expect(questionHash('flights from jfk to lax')).toBe(questionHash('Flights from JFK to LAX?'));
    expect(questionHash('flights from JFK to LAX')).not.toBe(questionHash('flights from LAX to JFK'));
  });

  it('lists the values a question names, in order: numbers, codes and names, quoted text', () => {
    expect(questionValues('flights from JFK to LAX')).toEqual(['jfk', 'lax']);
    expect(questionValues('flights from LAX to JFK')).toEqual(['lax', 'jfk']);
    expect(questionValues('manifest for flight 115')).toEqual(['115']);
    expect(questionValues('10 passengers from the United States')).toEqual(['10', 'united', 'states']);
    expect(questionValues('Show me passengers named "de la Cruz"')).toEqual(['de la cruz']);
    // The first word's capital is grammar, not a value.
    expect(questionValues('Busiest airports')).toEqual([]);
  });
});

describe('semantic cache: vectors', () => {
  it('stores vectors as little-endian float32, as the search module reads them', () => {
    const v = [0.5, -1.25, 3];
    const b = toFloat32(v);
    expect(b.length).toBe(12);
    expect(b.readFloatLE(4)).toBe(-1.25);
    expect(fromFloat32(b)).toEqual(v);
  });

  it('cosine similarity: 1 for the same direction, 0 for orthogonal, scale does not matter', () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 10);
    expect(cosine([1, 0], [0, 1])).toBeCloseTo(0, 10);
    expect(cosine([1, 0, 0], [0.95, Math.sqrt(1 - 0.95 ** 2), 0])).toBeCloseTo(0.95, 10);
  });

  it('keys carry the embedding model in a safe form', () => {
    expect(modelId('nomic-embed-text:latest')).toBe('nomic-embed-text_latest');
  });
});

describe('semantic cache: the vector-search path (Valkey search module)', () => {
  it('creates an HNSW cosine index over the entries of one engine and model', () => {
    expect(vectorIndexCreateArgs('p:ask:semantic-idx:mysql:m', 'p:ask:semantic:mysql:m:', 768)).toEqual([
      'FT.CREATE',
      'p:ask:semantic-idx:mysql:m',
      'ON',
      'HASH',
      'PREFIX',
      '1',
      'p:ask:semantic:mysql:m:',
      'SCHEMA',
      'vec',
      'VECTOR',
      'HNSW',
      '6',
      'TYPE',
      'FLOAT32',
      'DIM',
      '768',
      'DISTANCE_METRIC',
      'COSINE',
    ]);
  });

  it('asks for the k nearest with the vector as a binary parameter', () => {
    const blob = toFloat32([1, 0]);
    expect(vectorSearchArgs('idx', blob, 5)).toEqual([
      'FT.SEARCH',
      'idx',
      '*=>[KNN 5 @vec $BLOB]',
      'PARAMS',
      '2',
      'BLOB',
      blob,
      'DIALECT',
      '2',
    ]);
  });

  it('reads keys and distances from the reply, nearest first', () => {
    const reply = [2, 'k2', ['__vec_score', '0.3', 'question', 'b'], 'k1', ['__vec_score', '0.05']];
    expect(parseSearchReply(reply)).toEqual([
      { key: 'k1', distance: 0.05 },
      { key: 'k2', distance: 0.3 },
    ]);
    expect(parseSearchReply([0])).toEqual([]);
    expect(parseSearchReply('nonsense')).toEqual([]);
  });
});

describe('stand-in model', () => {
  it('embeds paraphrases alike and other values apart', () => {
    const a = bagOfWords('flights from JFK to LAX', 256);
    expect(cosine(a, bagOfWords('show me all the flights from JFK to LAX', 256))).toBeCloseTo(1, 6);
    expect(cosine(a, bagOfWords('flights from JFK to ATL', 256))).toBeLessThan(0.9);
  });

  it('writes the example questions in the dialect of the prompt, and no SQL for what it does not know', () => {
    expect(scriptedSql('flights from JFK to LAX', 'PostgreSQL')).toMatch(/f\."from"/);
    expect(scriptedSql('flights from JFK to LAX', 'MySQL/MariaDB')).toMatch(/f\.`from`/);
    expect(scriptedSql('10 passengers from the united states')).toMatch(
      /country = 'United States'.*LIMIT 10/s,
    );
    expect(scriptedSql('what is the meaning of life')).toMatch(/^I cannot answer/);
  });
});
