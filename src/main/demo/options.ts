import type { DemoOptions } from './generate.js';

/**
 * The demo workspace's size, the same for the workbench and `uis report`: UIS_DEMO_USERS, UIS_DEMO_DAYS and
 * UIS_DEMO_END_DAY let the benches and tests choose; unset (or not a positive integer), the generator's own defaults.
 */
export function demoOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DemoOptions {
  const users = Number(env.UIS_DEMO_USERS ?? '');
  const days = Number(env.UIS_DEMO_DAYS ?? '');
  return {
    users: Number.isInteger(users) && users > 0 ? users : undefined,
    days: Number.isInteger(days) && days > 0 ? days : undefined,
    endDay: env.UIS_DEMO_END_DAY || undefined,
  };
}
