/** Fuzzing of the typed key decoders: only ParleyErrors, never a crash or a hang. */
import { defaultSuite, decodeKey, describeKey, keyFromDescription, keyTypeOf } from '../../src/crypto/index.js'
import type { KeyDescription, KeyTypeName } from '../../src/crypto/index.js'
import { fuzzDecoder, fuzzStringDecoder } from '../helpers/fuzz.js'

const sig = defaultSuite.generateSigningKey(new Uint8Array(32).fill(1))
const kem = defaultSuite.generateKemKey(new Uint8Array(32).fill(2))
const signature = defaultSuite.sign(sig.secretKey, 'parley/v1/kel-event', new Uint8Array([1, 2, 3]))
const seeds = [sig.publicKey, sig.secretKey, kem.publicKey, kem.secretKey, signature]

fuzzDecoder('typed key (any type)', (b) => decodeKey(keyTypeOf(b), b), seeds)
fuzzDecoder('typed key (signing public expected)', (b) => decodeKey('signingPublic', b), seeds)

const description = describeKey(sig.publicKey)
fuzzStringDecoder(
  'key text form',
  (s) => {
    const bar = s.indexOf('|')
    const d: KeyDescription = bar < 0 ? { type: s as KeyTypeName } : { type: s.slice(0, bar) as KeyTypeName, publicKey: s.slice(bar + 1) }
    return keyFromDescription(d)
  },
  [`${description.type}|${description.publicKey ?? ''}`, `${describeKey(kem.publicKey).type}|${describeKey(kem.publicKey).publicKey ?? ''}`],
)
