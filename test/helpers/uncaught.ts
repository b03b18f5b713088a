/**
 * Collects uncaught exceptions and unhandled rejections for the rest of the
 * test file (listeners removed by `after`): tests assert the list is empty.
 */
import { after } from 'node:test'

export function trackUncaught(): string[] {
  const problems: string[] = []
  const onUncaught = (err: unknown): void => {
    problems.push(`uncaught: ${String((err as Error)?.stack ?? err)}`)
  }
  const onRejection = (err: unknown): void => {
    problems.push(`unhandled rejection: ${String((err as Error)?.stack ?? err)}`)
  }
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onRejection)
  after(() => {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onRejection)
  })
  return problems
}
