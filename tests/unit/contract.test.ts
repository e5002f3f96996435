import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { contract, topics } from '../../src/shared/api/index.js';
import { handlers } from '../../src/main/app/handlers.js';

describe('the contract', () => {
  const channels = Object.entries(contract) as Array<[string, { input: z.ZodType; output: z.ZodType; description: string }]>;

  it('names every channel <feature>.<verb> and describes it', () => {
    for (const [name, def] of channels) {
      expect(name, name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(def.description.length, `${name} description`).toBeGreaterThan(10);
      expect(def.input, `${name} input`).toBeInstanceOf(z.ZodType);
      expect(def.output, `${name} output`).toBeInstanceOf(z.ZodType);
    }
  });

  it('has exactly one handler per channel', () => {
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(contract).sort());
  });

  it('takes an object as every input (transports send {} when there is nothing to send)', () => {
    for (const [name, def] of channels) {
      // An empty or defaulted object must at least be a candidate: a non-object input is refused.
      expect(def.input.safeParse('x').success, name).toBe(false);
    }
  });

  it('declares topics with schemas', () => {
    expect(Object.keys(topics)).toContain('jobs.update');
    for (const [name, schema] of Object.entries(topics)) expect(schema, name).toBeInstanceOf(z.ZodType);
  });
});
