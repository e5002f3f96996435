#!/usr/bin/env node
// The `uis` command runs the TypeScript sources directly (tsx), so `npx uis …` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/main/cli/index.ts', import.meta.url).href);
