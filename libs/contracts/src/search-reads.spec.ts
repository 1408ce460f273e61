import { hubSet, popularRouteMember } from './search-reads';

describe('hubSet', () => {
  it('is canonical: order and repeats do not make another cache entry', () => {
    expect(hubSet(['JFK', 'ATL', 'JFK'])).toEqual(['ATL', 'JFK']);
    expect(hubSet(['ATL', 'JFK'])).toEqual(hubSet(['JFK', 'ATL']));
    expect(hubSet([])).toEqual([]);
  });
});

describe('popularRouteMember', () => {
  it('is "FROM:TO", one member per direction', () => {
    expect(popularRouteMember('FRA', 'JFK')).toBe('FRA:JFK');
    expect(popularRouteMember('JFK', 'FRA')).not.toBe(popularRouteMember('FRA', 'JFK'));
  });
});
