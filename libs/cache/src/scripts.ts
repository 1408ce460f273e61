import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValkeyClient } from './valkey-client';

/**
 * The project's Lua scripts: one file per script in ./lua (a header names its KEYS, ARGV and reply; shared code
 * lives in ./lua/includes and is pulled in with `--- @include "name"`). Every connection made by
 * createValkeyClient defines them as commands, so iovalkey sends the text once per connection and EVALSHA after
 * that, and sends the text again by itself when the server answers NOSCRIPT (a restart, a failover).
 */
export const SCRIPT_NAMES = [
  'server-time',
  'release-lock',
  'extend-lock',
  'set-with-tags',
  'invalidate-tags',
  'delete-fenced',
  'store-structure',
  'apply-booking-to-profile',
  'build-seat-map',
  'hold-seat',
  'commit-hold',
  'release-hold',
  'reserve-write-behind',
  'release-seat',
  'finalize-write-behind',
  'apply-leaderboard-once',
  'apply-airport-day-once',
  'session-op',
  'accept-flight-change',
  'finalize-flight-changes',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

const INCLUDE = /^--- @include "([a-z-]+)"\s*$/gm;

/** The folder of the .lua files: beside this module in the sources, copied beside it into dist by the build. */
function scriptsDir(): string {
  const dir = join(__dirname, 'lua');
  if (!existsSync(dir))
    throw new Error(`Lua scripts not found in ${dir} (the build copies libs/cache/src/lua)`);
  return dir;
}

function loadScripts(): Record<ScriptName, string> {
  const dir = scriptsDir();
  const files = new Set(readdirSync(dir).filter((f) => f.endsWith('.lua')));
  const scripts = {} as Record<ScriptName, string>;
  for (const name of SCRIPT_NAMES) {
    if (!files.has(`${name}.lua`)) throw new Error(`missing Lua script ${name}.lua in ${dir}`);
    scripts[name] = readFileSync(join(dir, `${name}.lua`), 'utf8').replace(INCLUDE, (_, inc: string) =>
      readFileSync(join(dir, 'includes', `${inc}.lua`), 'utf8'),
    );
  }
  return scripts;
}

/** Script name -> Lua text (includes resolved). */
export const LUA: Readonly<Record<ScriptName, string>> = loadScripts();

/** The command name a script is defined under: "set-with-tags" -> "lua_set_with_tags" (no clash with Valkey's). */
function commandName(name: ScriptName): string {
  return `lua_${name.replace(/-/g, '_')}`;
}

/** The command names of every script (as defineScripts defines them). */
export function scriptCommandNames(): string[] {
  return SCRIPT_NAMES.map(commandName);
}

/** Defines every script on a connection (done once, by createValkeyClient). */
export function defineScripts(client: ValkeyClient): void {
  for (const name of SCRIPT_NAMES) client.defineCommand(commandName(name), { lua: LUA[name] });
}

type ScriptCommand = (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** Runs a script by SHA on a connection that defineScripts prepared. */
export function runScript<T = unknown>(
  client: ValkeyClient,
  name: ScriptName,
  keys: string[],
  args: (string | number)[] = [],
): Promise<T> {
  const command = (client as unknown as Record<string, ScriptCommand>)[commandName(name)];
  if (typeof command !== 'function') throw new Error(`script ${name} is not defined on this connection`);
  return command.call(client, keys.length, ...keys, ...args) as Promise<T>;
}
