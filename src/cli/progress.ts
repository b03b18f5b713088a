/**
 * Progress bars for file transfers (cli-progress), drawn only on a
 * terminal (`io.progress`): a pipe or a log gets no bar, only the result.
 */
import { SingleBar } from 'cli-progress'
import { formatBytes, safeText } from './views.js'

export interface Progress {
  update(bytes: number, total: number): void
  stop(): void
}

/** A bar on `stream`, labelled with the (untrusted, so escaped) file name. */
export function progressBar(stream: NodeJS.WriteStream, label: string): Progress {
  const bar = new SingleBar({
    stream,
    format: '{label} [{bar}] {percentage}% {done}/{size}',
    hideCursor: true,
    clearOnComplete: false,
    barsize: 30,
  })
  let started = false
  const name = safeText(label).slice(0, 40)
  return {
    update(bytes, total) {
      const payload = { label: name, done: formatBytes(bytes), size: formatBytes(total) }
      if (!started) {
        started = true
        bar.start(Math.max(total, 1), bytes, payload)
      } else {
        bar.setTotal(Math.max(total, 1))
        bar.update(bytes, payload)
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
