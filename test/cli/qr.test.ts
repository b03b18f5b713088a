import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, inflateSync } from 'node:zlib'
import { removeDir } from '../helpers/tmp.js'
import { FakeWorld, fakeCli } from '../helpers/fake-agent.js'
import { qrPng, qrTerminal } from '../../src/cli/qr.js'
import { isParleyError } from '../../src/errors.js'

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Decodes a PNG far enough to trust it: signature, chunk CRCs, IHDR, the inflated image size, IEND. */
function decodePng(png: Buffer): { width: number; height: number } {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE)
  let offset = 8
  let width = 0
  let height = 0
  let bitDepth = 0
  let colorType = -1
  const idat: Buffer[] = []
  let ended = false
  while (offset < png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.subarray(offset + 4, offset + 8).toString('latin1')
    const data = png.subarray(offset + 8, offset + 8 + length)
    const crc = png.readUInt32BE(offset + 8 + length)
    assert.equal(crc32(png.subarray(offset + 4, offset + 8 + length)), crc, `CRC of ${type}`)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      bitDepth = data[8] as number
      colorType = data[9] as number
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') ended = true
    offset += 12 + length
  }
  assert.ok(ended, 'IEND')
  assert.ok(width > 0 && width === height, 'a square image')
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType]
  assert.ok(channels !== undefined, `color type ${colorType}`)
  const rowBytes = 1 + Math.ceil((width * channels * bitDepth) / 8)
  assert.equal(inflateSync(Buffer.concat(idat)).length, rowBytes * height, 'the image data has the size IHDR says')
  return { width, height }
}

test('invite --qr --out: the invite file, a PNG beside it, and a drawing on the terminal', async (t) => {
  const world = new FakeWorld()
  const cli = await fakeCli(world)
  t.after(() => removeDir(cli.home))
  const daemon = cli.start('daemon', '--json')
  t.after(() => daemon.stop())
  await daemon.waitFor(/"socket"/)

  const out = join(cli.home, 'invite.txt')
  const r = await cli.run('invite', '--qr', '--out', out, '--json')
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.json.invite, /^parley:/, '--qr implies the compact form')
  assert.equal(r.json.png, `${out}.png`)
  assert.equal((await readFile(out, 'utf8')).trim(), r.json.invite)
  const png = await readFile(`${out}.png`)
  const { width } = decodePng(png)
  assert.ok(width >= 21 * 8, 'at least a version-1 code at the PNG scale')
  assert.equal((await stat(`${out}.png`)).mode & 0o777, 0o600)
  // Under --json the drawing goes to stderr, so stdout stays one JSON document.
  assert.match(r.stderr, /[█▀▄]/)
  assert.ok(r.stderr.split('\n').length > 10)

  const human = await cli.run('invite', '--qr')
  assert.equal(human.code, 0)
  assert.match(human.stdout, /^parley:/)
  assert.match(human.stdout, /[█▀▄]/, 'without --json the drawing is part of the output')
})

test('QR helpers: a drawing and a PNG of any compact invite; too much text is INVITE_TOO_LARGE', async () => {
  const text = 'parley:' + 'A'.repeat(393)
  const drawing = await qrTerminal(text)
  assert.ok(drawing.length > 100)
  decodePng(Buffer.from(await qrPng(text)))
  await assert.rejects(qrPng('x'.repeat(5000)), (e) => isParleyError(e, 'INVITE_TOO_LARGE'))
  await assert.rejects(qrTerminal('x'.repeat(5000)), (e) => isParleyError(e, 'INVITE_TOO_LARGE'))
})
