import { LUA, SCRIPT_NAMES } from './scripts';

describe('Lua scripts', () => {
  it.each(SCRIPT_NAMES)('%s has every include resolved (an indented one would stay a comment)', (name) => {
    expect(LUA[name]).not.toMatch(/@include/);
  });
});
