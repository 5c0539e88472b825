// Writes oclif.manifest.json after the build (npm run build): the command list with each command's
// flags, args and help texts, so that `perpkit <command>` loads only that command's modules instead of
// importing every command (and with them ccxt, DuckDB, ECharts, XGBoost) on every start. The file is
// generated, not committed; a command added without a rebuild is simply not listed until the next build.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
await plugin.load();
const manifest = plugin.manifest;
const ids = Object.keys(manifest.commands);
if (ids.length === 0) throw new Error('oclif manifest: no commands found under dist/commands (did the build run?)');
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`oclif.manifest.json: ${ids.length} commands\n`);
