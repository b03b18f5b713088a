/**
 * QR codes of invites (qrcode package): a drawing for the terminal (half
 * blocks, two rows a line) and a PNG file. A compact invite
 * (INVITE_COMPACT_MAX_BYTES) fits easily at error-correction level M; a
 * text too long for any QR code is INVITE_TOO_LARGE.
 */
import { toBuffer, toString } from 'qrcode'
import { ParleyError } from '../errors.js'

/** Error correction: M restores ~15% of a damaged or badly lit code, and keeps a compact invite small. */
const QR_ERROR_CORRECTION = 'M'
/** Pixels per module of the PNG: ~300 px wide for a compact invite, enough for any phone camera. */
const QR_PNG_SCALE = 8
/** Quiet zone, in modules (ISO/IEC 18004 asks for 4). */
const QR_MARGIN = 4

function tooLarge(err: unknown): ParleyError {
  return new ParleyError('INVITE_TOO_LARGE', 'the invite does not fit a QR code: use a compact invite (--compact)', { cause: err })
}

/** The QR code of `text` drawn with block characters for a terminal. */
export async function qrTerminal(text: string): Promise<string> {
  try {
    return await toString(text, { type: 'terminal', small: true, errorCorrectionLevel: QR_ERROR_CORRECTION, margin: QR_MARGIN })
  } catch (err) {
    throw tooLarge(err)
  }
}

/** The QR code of `text` as PNG bytes. */
export async function qrPng(text: string): Promise<Uint8Array> {
  let png: Buffer
  try {
    png = await toBuffer(text, { type: 'png', errorCorrectionLevel: QR_ERROR_CORRECTION, scale: QR_PNG_SCALE, margin: QR_MARGIN })
  } catch (err) {
    throw tooLarge(err)
  }
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}
