// Starts the Ask box from the TypeScript sources (the `uis` command and the tests run them through tsx); the built
// app starts the bundled out/main/ask-sql-box.js instead. See ask-sql-host.ts.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./ask-sql-box.ts', import.meta.url).href);
