import { defineConfig } from '@playwright/test';
import base from './playwright.config.js';

// `npm run screenshots`: pictures of every page for a person to look at (tests/e2e/screenshots.shots.ts); they compare
// nothing, so they are not among the tests (`npm test` runs playwright.config.ts, whose testMatch is *.spec.ts).
export default defineConfig({ ...base, testMatch: '**/*.shots.ts' });
