/**
 * The `--json` shapes of the agent's values, as issue 5's CLI contract fixes
 * them (scripts and tests rely on them): a contact is `{did, alias,
 * verified, …}` with `alias` null when there is none; an inbox message is
 * `{id, from, text | file, at}`; dates are ISO 8601. Also the human one-line
 * forms, and the small waits long-running commands share.
 */
import type { Contact, FileInfo, HistoryMessage, MessageState } from '../agent/types.js'

export interface ContactView {
  did: string
  alias: string | null
  verified: boolean
  credentialTypes: string[]
  connected: boolean
  addedAt: string
}

export function contactView(c: Contact): ContactView {
  return {
    did: c.did,
    alias: c.alias ?? null,
    verified: c.verified,
    credentialTypes: c.credentialTypes,
    connected: c.connected,
    addedAt: c.addedAt.toISOString(),
  }
}

export interface FileView {
  transferId: string
  name: string
  size: number
  sha256: string
  state: FileInfo['state']
  path?: string
}

export function fileView(f: FileInfo): FileView {
  return { transferId: f.transferId, name: f.name, size: f.size, sha256: f.sha256, state: f.state, ...(f.path !== undefined ? { path: f.path } : {}) }
}

export interface MessageView {
  id: string
  from: string
  text?: string
  file?: FileView
  at: string
}

export function messageView(m: HistoryMessage): MessageView {
  return {
    id: m.id,
    from: m.from,
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(m.file !== undefined ? { file: fileView(m.file) } : {}),
    at: m.at.toISOString(),
  }
}

/** `alice (did:parley:…)`, or the DID alone. */
export function contactName(c: Pick<Contact, 'did' | 'alias'>): string {
  return c.alias !== undefined ? `${c.alias} (${c.did})` : c.did
}

/** One line per contact for people. */
export function contactLine(c: Contact): string {
  return `${c.verified ? '✔' : ' '} ${contactName(c)}${c.connected ? '  [connected]' : ''}`
}

/** A byte count for people: `1.5 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`
}

/** Control characters (newlines too) and bidi overrides of untrusted text (a peer's message or file name) made visible, so they can neither drive the terminal nor fake a line. */
export function safeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** One line per message for people. */
export function messageLine(m: HistoryMessage, name: string = m.from): string {
  const at = m.at.toISOString().replace('T', ' ').slice(0, 19)
  const body = m.text !== undefined ? safeText(m.text) : m.file !== undefined ? `[file] ${safeText(m.file.name)} (${formatBytes(m.file.size)})${m.file.path !== undefined ? ` -> ${safeText(m.file.path)}` : ''}` : ''
  return `${at}  ${safeText(name)}: ${body}`
}

/** Delivery ticks: · queued, ✓ sent, ✓✓ delivered, ✗ failed. */
export function stateTick(state: MessageState | undefined): string {
  switch (state) {
    case 'delivered':
      return '✓✓'
    case 'sent':
      return '✓'
    case 'failed':
      return '✗'
    case 'queued':
      return '·'
    default:
      return ''
  }
}

/** Resolves when any of `signals` aborts (with its reason). */
export function whenAborted(...signals: AbortSignal[]): Promise<unknown> {
  return new Promise((resolve) => {
    for (const s of signals) {
      if (s.aborted) {
        resolve(s.reason)
        return
      }
    }
    const controller = new AbortController()
    for (const s of signals) {
      s.addEventListener(
        'abort',
        () => {
          controller.abort()
          resolve(s.reason)
        },
        { once: true, signal: controller.signal },
      )
    }
  })
}
