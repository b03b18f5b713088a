/**
 * Strict JSON (RFC 8259) for everything credential-shaped: JWS headers and
 * payloads (RFC 7515 §5.2 step 4 lets an implementation refuse duplicate
 * member names; RFC 7519 §4 says it MUST refuse or take the last one — we
 * refuse), credential and presentation containers, trust policies and
 * did:web documents. The text is bounded in length and nesting depth before
 * `JSON.parse` runs, member names must be unique per object (so two parsers
 * never read two different claims out of one signed payload), and
 * `__proto__` is refused as a member name. Every failure is a ParleyError
 * with the caller's code.
 */

import type { ErrorCode } from '../errors.js'
import { ParleyError } from '../errors.js'

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue
}

/** Limits and the error code for one strict parse. */
export interface StrictJsonOptions {
  /** Longest text accepted, in UTF-16 code units (the text is ASCII or UTF-8 decoded). */
  maxLength: number
  /** Deepest nesting of objects/arrays accepted (the top-level object is depth 1). */
  maxDepth: number
  /** The code thrown on any failure. */
  code: ErrorCode
  /** Names the input in messages, e.g. `VC-JWT payload`. */
  what: string
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * Parses `text` as a JSON object under `options`; throws `options.code` for
 * text that is too long, too deep, not JSON, not an object at the top, or
 * repeats a member name within one object.
 *
 * @example
 * parseStrictJson('{"a":1}', { maxLength: 100, maxDepth: 4, code: 'VC_MALFORMED', what: 'header' }) // { a: 1 }
 * parseStrictJson('{"a":1,"a":2}', …) // throws VC_MALFORMED (duplicate member)
 */
export function parseStrictJson(text: string, options: StrictJsonOptions): JsonObject {
  const { code, what } = options
  if (typeof text !== 'string') throw new ParleyError(code, `${what}: expected JSON text`)
  if (text.length > options.maxLength) throw new ParleyError(code, `${what}: longer than ${options.maxLength}`)
  scanStructure(text, options)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ParleyError(code, `${what}: not valid JSON`, { cause: err })
  }
  if (!isJsonObject(value)) throw new ParleyError(code, `${what}: expected a JSON object`)
  return value
}

/** True for a plain (non-array, non-null) object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * One pass over the text, outside and inside strings: nesting depth, and for
 * every object the set of member names (decoded, so `"a"` and `"\u0061"` are
 * the same name). Runs before `JSON.parse`, so it must not assume validity:
 * on invalid text it only has to terminate; `JSON.parse` then refuses it.
 */
function scanStructure(text: string, options: StrictJsonOptions): void {
  const { code, what, maxDepth } = options
  // one entry per open container: a name set for objects, null for arrays
  const stack: (Set<string> | null)[] = []
  let i = 0
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = stringEnd(text, i)
      if (end < 0) return // unterminated: JSON.parse refuses it
      const top = stack.length > 0 ? stack[stack.length - 1] : undefined
      if (top instanceof Set && nextSignificant(text, end + 1) === ':') {
        let name: unknown
        try {
          name = JSON.parse(text.slice(i, end + 1))
        } catch (err) {
          throw new ParleyError(code, `${what}: invalid member name`, { cause: err })
        }
        if (typeof name !== 'string') throw new ParleyError(code, `${what}: invalid member name`)
        if (name === '__proto__') throw new ParleyError(code, `${what}: member name __proto__ refused`)
        if (top.has(name)) throw new ParleyError(code, `${what}: duplicate member name`)
        top.add(name)
      }
      i = end + 1
      continue
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push(c === 0x7b ? new Set<string>() : null)
      if (stack.length > maxDepth) throw new ParleyError(code, `${what}: nested deeper than ${maxDepth}`)
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
    }
    i++
  }
}

/** Index of the closing quote of the string starting at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let i = start + 1
  while (i < text.length) {
    const c = text.charCodeAt(i)
    if (c === BACKSLASH) i += 2
    else if (c === QUOTE) return i
    else i++
  }
  return -1
}

/** The next character after `from` that is not JSON whitespace, or ''. */
function nextSignificant(text: string, from: number): string {
  for (let i = from; i < text.length; i++) {
    const ch = text[i] as string
    if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') return ch
  }
  return ''
}
