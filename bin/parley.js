#!/usr/bin/env node
// The `parley` command: loads the TypeScript CLI through tsx on Node >= 24.
import '../scripts/check-node.js'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv)
