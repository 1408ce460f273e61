import { Keys, Tags } from '@app/cache';
import { ASK, ASK_ROW_CEILING } from './ask';

/** Wire patterns and key names of the ask path are public behaviour: pinned. */
describe('ASK contract', () => {
  it('pins the message patterns and statistics classes', () => {
    expect(Object.fromEntries(Object.entries(ASK).map(([n, op]) => [n, op.pattern.cmd]))).toEqual({
      ask: 'ask.question',
      sql: 'ask.sql',
      schema: 'ask.schema',
      status: 'ask.status',
    });
    expect(ASK.ask.queryClass).toBe('ask');
    expect(ASK.sql.queryClass).toBe('ask-sql');
    expect(ASK_ROW_CEILING).toBe(1000);
  });

  it('pins the keys and tags of both caches', () => {
    expect(Keys.askQuery('mysql', 'ab12')).toBe('ask:query:mysql:ab12');
    expect(Keys.askSemantic('postgres', 'nomic-embed-text', 'h')).toBe(
      'ask:semantic:postgres:nomic-embed-text:h',
    );
    expect(Keys.askSemanticIndex('mysql', 'm')).toBe('ask:semantic-index:mysql:m');
    expect(Tags.table('booking')).toBe('table:booking');
  });
});
