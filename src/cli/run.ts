/**
 * Adapts a command handler `(ctx, ...positional, options)` to commander's
 * action signature `(...positional, options, command)`, building the
 * per-run context from the merged global options.
 */
import type { Command } from 'commander'
import { CliContext } from './context.js'
import type { GlobalOptions } from './context.js'
import type { CliIo } from './io.js'

// Handlers declare their own argument types; commander hands over unknowns.
export type Handler = (ctx: CliContext, ...args: never[]) => Promise<void>
export type Run = (fn: Handler) => (...args: unknown[]) => Promise<void>

export function makeRun(io: CliIo): Run {
  return (fn) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command
      const ctx = new CliContext(io, command.optsWithGlobals<GlobalOptions>())
      await (fn as (ctx: CliContext, ...a: unknown[]) => Promise<void>)(ctx, ...args.slice(0, -1))
    }
}
