import type { z } from 'zod';
import type { ContractShape, RpcResult } from '../../shared/contract.js';
import { describeIssues } from '../../shared/event.js';
import { CoreError, invalidInput, toApiError } from './errors.js';
import type { CoreContext } from './types.js';

export type AnyHandler = (input: never, ctx: CoreContext) => Promise<unknown>;
export type HandlerMap = Record<string, AnyHandler>;

/** True only for the contract's own keys (not "constructor", "__proto__" and other inherited names). */
export function isContractChannel(contract: ContractShape, channel: unknown): channel is string {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(contract, channel);
}

/**
 * The one path from a transport to a handler: the channel must be in the contract, the input must match its schema,
 * the output is checked (and stripped of undeclared fields) against its schema, and any failure becomes {code, message}
 * with connection strings removed. Both transports call this; neither ever throws to its caller.
 */
export async function dispatch(
  contract: ContractShape,
  handlers: HandlerMap,
  channel: unknown,
  rawInput: unknown,
  ctx: CoreContext,
): Promise<RpcResult> {
  try {
    if (!isContractChannel(contract, channel) || !Object.prototype.hasOwnProperty.call(handlers, channel)) {
      throw new CoreError('unknown_channel', `Unknown channel "${String(channel).slice(0, 100)}"`);
    }
    const def = contract[channel];
    const input = def.input.safeParse(rawInput === undefined || rawInput === null ? {} : rawInput);
    if (!input.success) throw invalidInput(channel, input.error as z.ZodError);
    const value = await (handlers[channel] as (i: unknown, c: CoreContext) => Promise<unknown>)(input.data, ctx);
    const output = def.output.safeParse(value);
    if (!output.success) {
      ctx.log(`handler ${channel} returned a value that does not match its output schema: ${describeIssues(output.error as z.ZodError)}`);
      throw new CoreError('invalid_output', `${channel} produced an invalid result: ${describeIssues(output.error as z.ZodError)}`);
    }
    return { ok: true, value: output.data };
  } catch (err) {
    const error = toApiError(err);
    if (error.code === 'internal') ctx.log(`handler ${String(channel)} failed: ${error.message}`);
    return { ok: false, error };
  }
}
