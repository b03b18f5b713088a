/**
 * Progress bars for file transfers (cli-progress), drawn only on a
 * terminal (`io.progress`): a pipe or a log gets no bar, only the result —
 * unless asked (`send-file --progress`), then one plain line per step.
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

/** Percent between two plain progress lines. */
const PROGRESS_LINE_STEP_PERCENT = 10

/** Progress as plain lines (`name  40%  1.2 MiB/3.0 MiB`), one per PROGRESS_LINE_STEP_PERCENT and one at the end: for logs and pipes. */
export function progressLines(write: (text: string) => void, label: string): Progress {
  const name = safeText(label).slice(0, 40)
  let shown = -1
  return {
    update(bytes, total) {
      const percent = total > 0 ? Math.floor((bytes * 100) / total) : 100
      const step = percent >= 100 ? 100 : percent - (percent % PROGRESS_LINE_STEP_PERCENT)
      if (step <= shown) return
      shown = step
      write(`${name}  ${String(step).padStart(3)}%  ${formatBytes(bytes)}/${formatBytes(total)}\n`)
    },
    stop() {},
  }
}
