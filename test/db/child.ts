/**
 * A second process for the database tests (run with node --import tsx):
 *
 *   child.ts try DIR              open the database; print {"ok":true} or {"code":…}; exit
 *   child.ts hold DIR             open it, store a session record, print "ready", wait for SIGKILL
 *   child.ts rotate-kill DIR STEP N   rotate the data key and die by SIGKILL at the Nth report of STEP
 */
import { SESSION_ID_LENGTH } from '../../src/constants.js'
import type { RekeyStep } from '../../src/db/index.js'
import { open, PASSPHRASE } from './helpers.js'

const [command, dir, step, n] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: child.ts COMMAND DIR')

function die(): never {
  process.kill(process.pid, 'SIGKILL')
  // SIGKILL is delivered before this loop ends; nothing after the kill may run.
  for (;;) {
    // spin
  }
}

if (command === 'try') {
  try {
    const db = await open(dir)
    await db.close()
    process.stdout.write(JSON.stringify({ ok: true }) + '\n')
  } catch (err) {
    process.stdout.write(JSON.stringify({ code: (err as { code?: string }).code ?? 'UNKNOWN' }) + '\n')
  }
} else if (command === 'hold') {
  const db = await open(dir)
  await db.sessions.store('did:parley:held-by-child', new Uint8Array(SESSION_ID_LENGTH).fill(7), Uint8Array.of(7, 7, 7))
  process.stdout.write('ready\n')
  setInterval(() => undefined, 1000)
} else if (command === 'rotate-kill') {
  const db = await open(dir)
  let seen = 0
  await db.rekey({
    passphrase: PASSPHRASE,
    rotateDataKey: true,
    onProgress: (s: RekeyStep) => {
      if (s === step && ++seen >= Number(n)) die()
    },
  })
  throw new Error(`the rotation finished without reaching ${step} #${n}`)
} else {
  throw new Error(`unknown command ${command}`)
}
