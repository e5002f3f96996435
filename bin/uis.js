#!/usr/bin/env node
// The `uis` command runs the TypeScript sources directly (tsx), so `npx uis …` needs no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// tsconfig.json only lists the per-runtime projects; the CLI's sources are src/main's (JSX for the report too).
register({ tsconfig: fileURLToPath(new URL('../tsconfig.node.json', import.meta.url)) });
await import(new URL('../src/main/cli/index.ts', import.meta.url).href);
