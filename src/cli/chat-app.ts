/**
 * The `parley chat` terminal UI (ink 6 + React 19, written with
 * createElement so it needs no JSX build step): a header with the
 * contact's name and verified badge, the scrolling history, delivery ticks
 * on our messages (· queued, ✓ sent, ✓✓ delivered, ✗ failed), progress
 * lines of file transfers, and an input line. `/file PATH` sends a file,
 * `/quit` (or Ctrl-C) leaves.
 *
 * State changes go through one pure reducer (`chatReducer`) and the screen
 * is a pure function of the state (`ChatView`), so both are tested without
 * a terminal; `ChatApp` only wires agent events and keys to the reducer.
 * Peer text is shown with control characters escaped (views.safeText): a
 * message can never drive the terminal.
 */
import { createElement as h, useEffect, useReducer, useRef } from 'react'
import type { ReactElement } from 'react'
import { Box, Text, useApp, useInput, useStdout } from 'ink'
import type { Agent, Contact, HistoryMessage, MessageState } from '../agent/types.js'
import { ParleyError } from '../errors.js'
import { CHAT_MAX_MESSAGES } from '../constants.js'
import { formatBytes, safeText, stateTick } from './views.js'

/** One line of the history. */
export interface ChatLine {
  id: string
  kind: 'in' | 'out' | 'system'
  text: string
  at: Date
  state?: MessageState
}

/** A transfer in progress, by `${direction}:${name}` (a transfer id is not known before sendFile answers). */
export interface ChatTransfer {
  direction: 'in' | 'out'
  name: string
  bytes: number
  total: number
}

export interface ChatState {
  lines: ChatLine[]
  verified: boolean
  input: string
  transfers: Record<string, ChatTransfer>
}

export type ChatAction =
  | { type: 'message'; message: HistoryMessage }
  | { type: 'delivery'; id: string; state: MessageState }
  | { type: 'progress'; direction: 'in' | 'out'; name: string; bytes: number; total: number }
  | { type: 'done'; direction: 'in' | 'out'; name: string; path?: string; at: Date }
  | { type: 'verified' }
  | { type: 'system'; text: string; at: Date }
  | { type: 'input'; value: string }

let systemLines = 0

function messageText(m: HistoryMessage): string {
  if (m.text !== undefined) return safeText(m.text)
  if (m.file !== undefined) return `📎 ${safeText(m.file.name)} (${formatBytes(m.file.size)})${m.file.path !== undefined ? ` → ${safeText(m.file.path)}` : ''}`
  return ''
}

function lineOf(m: HistoryMessage): ChatLine {
  return { id: m.id, kind: m.direction, text: messageText(m), at: m.at, ...(m.state !== undefined ? { state: m.state } : {}) }
}

function capped(lines: ChatLine[]): ChatLine[] {
  return lines.length > CHAT_MAX_MESSAGES ? lines.slice(lines.length - CHAT_MAX_MESSAGES) : lines
}

/** The state at start: the history (any order) oldest first. */
export function initialChatState(history: HistoryMessage[], verified: boolean): ChatState {
  const lines = [...history].sort((a, b) => a.at.getTime() - b.at.getTime()).map(lineOf)
  return { lines: capped(lines), verified, input: '', transfers: {} }
}

/** The next state; pure. A message already shown (same id) is updated in place, never repeated. */
export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'message': {
      const line = lineOf(action.message)
      const i = state.lines.findIndex((l) => l.id === line.id && l.kind !== 'system')
      if (i >= 0) {
        const old = state.lines[i] as ChatLine
        const lines = [...state.lines]
        // A delivery receipt may have come first: keep the furthest state.
        lines[i] = { ...line, ...(old.state !== undefined && rank(old.state) > rank(line.state) ? { state: old.state } : {}) }
        return { ...state, lines }
      }
      return { ...state, lines: capped([...state.lines, line]) }
    }
    case 'delivery': {
      const i = state.lines.findIndex((l) => l.id === action.id && l.kind === 'out')
      if (i < 0) return state
      const lines = [...state.lines]
      const old = lines[i] as ChatLine
      if (old.state !== undefined && rank(old.state) > rank(action.state)) return state
      lines[i] = { ...old, state: action.state }
      return { ...state, lines }
    }
    case 'progress': {
      const key = `${action.direction}:${action.name}`
      return { ...state, transfers: { ...state.transfers, [key]: { direction: action.direction, name: action.name, bytes: action.bytes, total: action.total } } }
    }
    case 'done': {
      const key = `${action.direction}:${action.name}`
      const transfers = { ...state.transfers }
      delete transfers[key]
      const text = action.direction === 'in' ? `received ${safeText(action.name)}${action.path !== undefined ? ` → ${safeText(action.path)}` : ''}` : `sent ${safeText(action.name)}`
      return { ...state, transfers, lines: capped([...state.lines, { id: `system-${++systemLines}`, kind: 'system', text, at: action.at }]) }
    }
    case 'verified':
      return { ...state, verified: true }
    case 'system':
      return { ...state, lines: capped([...state.lines, { id: `system-${++systemLines}`, kind: 'system', text: safeText(action.text), at: action.at }]) }
    case 'input':
      return { ...state, input: action.value }
  }
}

/** failed > delivered > sent > queued: a late, lesser state never overwrites a better one (failed is final). */
function rank(state: MessageState | undefined): number {
  switch (state) {
    case 'failed':
      return 4
    case 'delivered':
      return 3
    case 'sent':
      return 2
    case 'queued':
      return 1
    default:
      return 0
  }
}

function clock(at: Date): string {
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`
}

export interface ChatViewProps {
  contact: Pick<Contact, 'did' | 'alias'>
  state: ChatState
  /** Terminal rows: the history shows as many recent lines as fit. */
  rows: number
}

/** The screen for a state; pure. */
export function ChatView({ contact, state, rows }: ChatViewProps): ReactElement {
  const name = safeText(contact.alias ?? contact.did)
  const transfers = Object.values(state.transfers)
  const room = Math.max(1, rows - 4 - transfers.length)
  const visible = state.lines.slice(-room)
  return h(
    Box,
    { flexDirection: 'column' },
    h(
      Box,
      { key: 'header' },
      h(Text, { bold: true }, name),
      h(Text, null, '  '),
      state.verified ? h(Text, { color: 'green' }, '✔ verified') : h(Text, { color: 'yellow' }, 'unverified'),
      contact.alias !== undefined ? h(Text, { dimColor: true }, `  ${contact.did}`) : null,
    ),
    h(
      Box,
      { key: 'history', flexDirection: 'column' },
      visible.map((l) =>
        h(
          Box,
          { key: l.id },
          h(Text, { dimColor: true }, `${clock(l.at)} `),
          l.kind === 'system'
            ? h(Text, { dimColor: true, italic: true }, `— ${l.text}`)
            : h(
                Text,
                null,
                h(Text, { color: l.kind === 'out' ? 'cyan' : 'magenta' }, l.kind === 'out' ? 'you' : name),
                `: ${l.text}`,
                l.kind === 'out' && l.state !== undefined ? h(Text, { color: l.state === 'failed' ? 'red' : 'green' }, ` ${stateTick(l.state)}`) : null,
              ),
        ),
      ),
    ),
    transfers.map((t) =>
      h(
        Text,
        { key: `${t.direction}:${t.name}`, color: 'blue' },
        `${t.direction === 'out' ? '↑' : '↓'} ${safeText(t.name)} ${t.total > 0 ? Math.floor((t.bytes * 100) / t.total) : 0}% (${formatBytes(t.bytes)}/${formatBytes(t.total)})`,
      ),
    ),
    h(Box, { key: 'input' }, h(Text, { color: 'gray' }, '> '), h(Text, null, state.input), h(Text, { inverse: true }, ' ')),
    h(Text, { key: 'help', dimColor: true }, '/file PATH to send a file · /quit or Ctrl-C to leave'),
  )
}

export interface ChatAppProps {
  agent: Agent
  contact: Contact
  history: HistoryMessage[]
  now?: () => Date
}

/** The live chat: agent events and keys into the reducer, the reducer into ChatView. */
export function ChatApp({ agent, contact, history, now = () => new Date() }: ChatAppProps): ReactElement {
  const [state, dispatch] = useReducer(chatReducer, undefined, () => initialChatState(history, contact.verified))
  const { exit } = useApp()
  const { stdout } = useStdout()
  const peer = contact.did

  useEffect(() => {
    const offs = [
      agent.on('message', (m) => {
        if (m.peer === peer) dispatch({ type: 'message', message: m })
      }),
      agent.on('delivery', (d) => {
        if (d.to === peer) dispatch({ type: 'delivery', id: d.id, state: d.state })
      }),
      agent.on('file.progress', (p) => {
        if (p.peer === peer) dispatch({ type: 'progress', direction: p.direction, name: p.name, bytes: p.bytes, total: p.total })
      }),
      agent.on('file.done', (d) => {
        if (d.peer === peer) dispatch({ type: 'done', direction: d.direction, name: d.name, at: now(), ...(d.path !== undefined ? { path: d.path } : {}) })
      }),
      agent.on('contact.verified', (c) => {
        if (c.did === peer) dispatch({ type: 'verified' })
      }),
      agent.on('session.reset', (r) => {
        if (r.peer === peer) dispatch({ type: 'system', text: `session reset by ${r.by === 'me' ? 'us' : 'them'}: ${r.message}`, at: now() })
      }),
      agent.on('error', (e) => dispatch({ type: 'system', text: `${e.message} (${e.code})`, at: now() })),
    ]
    return () => {
      for (const off of offs) off()
    }
  }, [agent, peer])

  const fail = (err: unknown): void => {
    const text = err instanceof ParleyError ? `${err.message} (${err.code})` : 'failed unexpectedly'
    dispatch({ type: 'system', text: `✗ ${text}`, at: now() })
  }

  const submit = (line: string): void => {
    const text = line.trim()
    if (text === '') return
    if (text === '/quit' || text === '/exit') {
      exit()
      return
    }
    if (text === '/file' || text.startsWith('/file ')) {
      const path = text.slice(5).trim()
      if (path === '') {
        dispatch({ type: 'system', text: 'usage: /file PATH', at: now() })
        return
      }
      dispatch({ type: 'system', text: `sending ${path}…`, at: now() })
      agent.sendFile(peer, path, { wait: false }).catch(fail)
      return
    }
    const at = now()
    agent.send(peer, text, { wait: false }).then(
      (r) => dispatch({ type: 'message', message: { id: r.id, peer, direction: 'out', from: agent.did, text, at, state: r.state } }),
      fail,
    )
  }

  // The line being typed lives in a ref: several keys can arrive before the next render.
  const typed = useRef('')
  const setTyped = (value: string): void => {
    typed.current = value
    dispatch({ type: 'input', value })
  }
  useInput((input, key) => {
    if (key.return) {
      const line = typed.current
      setTyped('')
      submit(line)
    } else if (key.backspace || key.delete) {
      setTyped([...typed.current].slice(0, -1).join(''))
    } else if (!key.ctrl && !key.meta && input !== '') {
      // Typed or pasted text; control characters (and pasted newlines) are dropped. Keys typed faster
      // than the terminal is read arrive as one chunk: a single line end closing it is the Enter key.
      const enter = /^[^\r\n]*(\r\n|\r|\n)$/.test(input)
      // eslint-disable-next-line no-control-regex
      const clean = input.replace(/[\u0000-\u001f\u007f-\u009f]/gu, '')
      if (clean !== '') setTyped(typed.current + clean)
      if (enter) {
        const line = typed.current
        setTyped('')
        submit(line)
      }
    }
  })

  return h(ChatView, { contact, state, rows: stdout.rows ?? 24 })
}
