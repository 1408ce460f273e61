import { extractSql } from './sql-extract';

describe('extractSql', () => {
  it('takes the SQL out of markdown fences and labels', () => {
    expect(extractSql('```sql\nSELECT 1\n```')).toBe('SELECT 1');
    expect(extractSql('Here is the query:\n```\nSELECT iata FROM airport\n```\nIt lists airports.')).toBe(
      'SELECT iata FROM airport',
    );
    expect(extractSql('SQL: SELECT 1')).toBe('SELECT 1');
    expect(extractSql('Sure! Here it is:\nSELECT 1 AS x')).toBe('SELECT 1 AS x');
  });

  it('drops an explanation after a blank line', () => {
    expect(extractSql('SELECT 1;\n\nThis returns one.')).toBe('SELECT 1;');
  });

  it('never cuts a second statement, a comment or a write: the guard must see them', () => {
    expect(extractSql('SELECT 1; DROP TABLE booking')).toBe('SELECT 1; DROP TABLE booking');
    expect(extractSql('SELECT 1;\n\nDROP TABLE booking')).toBe('SELECT 1;\n\nDROP TABLE booking');
    expect(extractSql('DELETE FROM booking')).toBe('DELETE FROM booking');
    expect(extractSql('SELECT 1 -- ; DROP TABLE booking')).toBe('SELECT 1 -- ; DROP TABLE booking');
  });
});
