#!/usr/bin/env -S node --import tsx --no-warnings=ExperimentalWarning
// Runs the CLI from TypeScript sources (src/commands) without a build.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
