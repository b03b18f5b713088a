/**
 * `npm run bench -- [suite...]`: runs benchmark suites, prints a table and
 * writes `bench/results/<suite>.json` as an array of
 * `{ metric, value, unit, baseline, baselineValue, ratio }`.
 * Suites: crypto (primitives on native vs portable side by side, hybrid
 * sign/verify and KEM, 100-event KEL verification), sessions (PQXDH and the
 * double ratchet beside libsignal: establishment, one-way, ping-pong, 64 KiB,
 * wire sizes), floor (where one establishment's time goes, and the floor of
 * the primitive calls the protocol requires: bench/establish-floor.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { BenchRow } from './harness.js'
import { runCryptoBench } from './crypto.js'
import { runFloorBench } from './establish-floor.js'
import { runIdentityBench } from './identity.js'
import { runSessionsBench } from './sessions.js'
import { runNetworkBench } from './network.js'
import { runProductBench } from './product.js'

const SUITES: Record<string, () => Promise<BenchRow[]>> = {
  crypto: async () => [...(await runCryptoBench()), ...(await runIdentityBench())],
  sessions: runSessionsBench,
  network: runNetworkBench,
  floor: runFloorBench,
  product: runProductBench,
}

function formatValue(v: number | null): string {
  if (v === null) return '—'
  if (Math.abs(v) >= 1000) return v.toFixed(0)
  if (Math.abs(v) >= 10) return v.toFixed(1)
  return v.toFixed(3)
}

export function renderTable(rows: BenchRow[]): string {
  const header = ['metric', 'value', 'unit', 'baseline', 'baseline value', 'ratio']
  const body = rows.map((r) => [r.metric, formatValue(r.value), r.unit, r.baseline ?? '—', formatValue(r.baselineValue), r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |'
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n')
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const names = requested.length > 0 ? requested : Object.keys(SUITES)
  const outDir = join(fileURLToPath(new URL('.', import.meta.url)), 'results')
  await mkdir(outDir, { recursive: true })
  for (const name of names) {
    const suite = SUITES[name]
    if (suite === undefined) {
      console.error(`bench: unknown suite "${name}" (known: ${Object.keys(SUITES).join(', ')})`)
      process.exitCode = 2
      return
    }
    console.log(`\n## ${name} (Node ${process.versions.node}, ${new Date().toISOString()})\n`)
    const rows = await suite()
    console.log(renderTable(rows))
    const file = join(outDir, `${name}.json`)
    await writeFile(file, JSON.stringify(rows, null, 2) + '\n')
    console.log(`\nwrote ${file}`)
  }
}

await main()
