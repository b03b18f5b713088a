/**
 * `parley send CONTACT TEXT` → `{"id", "state"}` and `parley send-file
 * CONTACT PATH` → `{"id", "state", "transferId"}`. Both wait until the
 * message is delivered or, when the contact cannot be reached in time,
 * queued (the outbox delivers it later: at once while a daemon runs, else
 * the next time an agent of this home runs); `--no-wait` returns as soon as
 * it is queued. `send-file` draws a progress bar on a terminal (with
 * `--progress`, plain progress lines on stderr elsewhere).
 */
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import type { Run } from '../run.js'
import type { MessageState } from '../../agent/types.js'
import { CLI_SEND_WAIT_MS } from '../../constants.js'
import { ParleyError } from '../../errors.js'
import { withAgent } from '../agent-access.js'
import { progressBar, progressLines } from '../progress.js'
import type { Progress } from '../progress.js'

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return CLI_SEND_WAIT_MS
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0 || n > 24 * 3600) throw new ParleyError('INVALID_ARGUMENT', `--timeout takes 1..86400 seconds, got "${text}"`)
  return n * 1000
}

function stateText(state: MessageState, via: 'daemon' | 'local'): string {
  switch (state) {
    case 'delivered':
      return 'delivered'
    case 'sent':
      return 'sent (not yet confirmed)'
    case 'failed':
      return 'failed'
    case 'queued':
      return via === 'daemon' ? 'queued: the daemon delivers it when the contact is reachable' : 'queued: it is delivered the next time this home\'s agent runs (`parley daemon`)'
  }
}

export function registerSend(program: Command, run: Run): void {
  program
    .command('send')
    .description('send a text message')
    .argument('<contact>', 'a DID or an alias')
    .argument('<text...>', 'the message')
    .option('--no-wait', 'return once the message is queued')
    .option('--timeout <seconds>', `how long to wait for delivery (default ${CLI_SEND_WAIT_MS / 1000})`)
    .action(
      run(async (ctx: CliContext, contact: string, words: string[], opts: { wait: boolean; timeout?: string }) => {
        const text = words.join(' ')
        if (text === '') throw new ParleyError('INVALID_ARGUMENT', 'the message is empty')
        const timeoutMs = parseTimeout(opts.timeout)
        const { result, via } = await withAgent(ctx, { network: true }, async ({ agent, via }) => ({
          result: await agent.send(contact, text, { wait: opts.wait, timeoutMs }),
          via,
        }))
        ctx.print({ id: result.id, state: result.state }, `${stateText(result.state, via)} (${result.id})`)
      }),
    )

  program
    .command('send-file')
    .description('send a file (end-to-end encrypted, resumable)')
    .argument('<contact>', 'a DID or an alias')
    .argument('<path>', 'the file')
    .option('--no-wait', 'return once the file is offered')
    .option('--progress', 'report progress on stderr even when it is not a terminal (plain lines)')
    .action(
      run(async (ctx: CliContext, contact: string, path: string, opts: { wait: boolean; progress?: boolean }) => {
        let size: number
        try {
          const st = await stat(path)
          if (!st.isFile()) throw new ParleyError('INVALID_ARGUMENT', `${path} is not a regular file`)
          size = st.size
        } catch (err) {
          if (err instanceof ParleyError) throw err
          throw new ParleyError('STORE_NOT_FOUND', `no such file: ${path}`, { cause: err })
        }
        const name = basename(path)
        const { result, via } = await withAgent(ctx, { network: true }, async ({ agent, via }) => {
          const peer = (await agent.contact(contact)).did
          let bar: Progress | undefined
          let off = (): void => undefined
          const stream = ctx.io.progress
          if (stream !== undefined || opts.progress === true) {
            const progress = stream !== undefined ? progressBar(stream, name) : progressLines((t) => ctx.io.stderr(t), name)
            bar = progress
            progress.update(0, size)
            // Progress of this file to this peer (its transfer id is known only once sendFile answers).
            off = agent.on('file.progress', (p) => {
              if (p.direction === 'out' && p.peer === peer && p.name === name) progress.update(p.bytes, p.total)
            })
          }
          try {
            return { result: await agent.sendFile(contact, path, { wait: opts.wait }), via }
          } finally {
            off()
            bar?.stop()
          }
        })
        ctx.print({ id: result.id, state: result.state, transferId: result.transferId }, `${name}: ${stateText(result.state, via)} (${result.id})`)
      }),
    )
}
