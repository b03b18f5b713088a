#!/usr/bin/env node
// The `parley` command: loads the TypeScript CLI through tsx on Node >= 24.
import '../scripts/check-node.js'
import { register } from 'tsx/esm/api'

/** Time the process may take to wind down after the command returned before it is ended (a lingering socket or timer of a library must not keep `parley` alive). */
const EXIT_GRACE_MS = 3000

register()
const { main } = await import('../src/cli/main.ts')
const code = await main(process.argv)
process.exitCode = code
// Unreferenced: it fires only if something else still keeps the process alive.
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
