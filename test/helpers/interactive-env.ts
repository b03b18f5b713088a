/** Imported first by tests that render ink as on a real terminal: see src/cli/interactive.ts. */
import { markInteractive } from '../../src/cli/interactive.js'

markInteractive()
