import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultSuite, portableSuite, sealTo, openSealed } from '../../src/crypto/index.js'
import { LABELS } from '../../src/constants.js'
import { isParleyError } from '../../src/errors.js'

const failed = (e: unknown): boolean => isParleyError(e) && e.code === 'DECRYPT_FAILED'

test('sealed box: opens for the recipient only, bound to label, key and aad; both backends interoperate', () => {
  const bob = defaultSuite.generateKemKey()
  const eve = defaultSuite.generateKemKey()
  const msg = new TextEncoder().encode('a reset invite')
  const aad = Uint8Array.of(1, 2, 3)
  const box = sealTo(defaultSuite, bob.publicKey, LABELS.resetSeal, aad, msg)
  assert.deepEqual(openSealed(defaultSuite, bob.secretKey, bob.publicKey, LABELS.resetSeal, aad, box), msg)
  assert.deepEqual(openSealed(portableSuite, bob.secretKey, bob.publicKey, LABELS.resetSeal, aad, box), msg)
  const fromPortable = sealTo(portableSuite, bob.publicKey, LABELS.resetSeal, aad, msg)
  assert.deepEqual(openSealed(defaultSuite, bob.secretKey, bob.publicKey, LABELS.resetSeal, aad, fromPortable), msg)

  assert.throws(() => openSealed(defaultSuite, eve.secretKey, eve.publicKey, LABELS.resetSeal, aad, box), failed)
  assert.throws(() => openSealed(defaultSuite, bob.secretKey, bob.publicKey, LABELS.invite, aad, box), failed)
  assert.throws(() => openSealed(defaultSuite, bob.secretKey, bob.publicKey, LABELS.resetSeal, Uint8Array.of(9), box), failed)
  for (const at of [0, 600, 1110, 1130, box.length - 1]) {
    const t = box.slice()
    t[at] = (t[at] as number) ^ 0x80
    assert.throws(() => openSealed(defaultSuite, bob.secretKey, bob.publicKey, LABELS.resetSeal, aad, t), failed)
  }
  assert.throws(() => openSealed(defaultSuite, bob.secretKey, bob.publicKey, LABELS.resetSeal, aad, box.subarray(0, 100)), failed)
  assert.notDeepEqual(sealTo(defaultSuite, bob.publicKey, LABELS.resetSeal, aad, msg), box, 'every box is fresh')
})
