/**
 * Frozen known-answer vectors of the ratchet, and interoperability of the two
 * backends. The KDF vectors were cross-checked against an independent
 * HKDF and SHAKE256 (Python's hmac/hashlib, RFC 5869, FIPS 202); the message vectors run a
 * whole session on `portableSuite` with a deterministic random source
 * (node:crypto takes no caller randomness for ML-KEM encapsulation,
 * docs/crypto.md), so any change to the KDFs, the schedule, the header layout
 * or the AEAD inputs changes these bytes. A change here is a wire-format
 * change: bump RATCHET_WIRE_VERSION (2 since KDF_CK became one SHAKE256 call
 * and the initiator's first chain an offer).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultSuite, portableSuite } from '../../../src/crypto/index.js'
import type { Suite } from '../../../src/crypto/index.js'
import { fromHex, toHex } from '../../../src/codec/index.js'
import { kdfChain, kdfInit, kdfRoot } from '../../../src/session/ratchet/kdf.js'
import { ratchetStateInfo } from '../../../src/session/ratchet/index.js'
import type { RatchetState } from '../../../src/session/ratchet/index.js'
import { makePair, receive, send, testRandom } from './helpers.js'

const fill = (b: number): Uint8Array => new Uint8Array(32).fill(b)

const INIT = {
  sharedSecret: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  sessionId: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
  rootKey: 'd69fa8e6b8b490db8be44e96259f8d8a2d4ed42dec67284ce9bb85d33ed3ef11',
  headerKeyA: '5fdcc6f7b5304fdd69f2370887a68595fd477ea519c7f513976465b6f3a4ea59',
  nextHeaderKeyB: '1fa993e04e6fd5a4dddfbcfda6e0e695025daca9dd8c9e6b343ca2190e68b38c',
}

/** Three root steps from INIT.rootKey: a KEM step, a DH-only step, a KEM step. */
const STEP_INPUTS: Array<[Uint8Array, Uint8Array | undefined]> = [
  [fill(0x11), fill(0x22)],
  [fill(0x33), undefined],
  [fill(0x44), fill(0x55)],
]
const STEPS = [
  {
    rootKey: '1ee2ddf806285f2ceb47b509a62a8cf4f8e48254a2462f12641e9d13744c152e',
    chainKey: '4f8952b8d74e8b7954fc502f62c6b8bd5f14fcbae6117d8a26210137c2a45e22',
    nextHeaderKey: '50a2b2cf87482ea638b8b28d35b4e380f4f8845095ca98dbca7ea9dff18c933f',
    messageKeys: ['f843e448bd68787b501b5874a9bfb57e8d56caf6fccb3d3faf453ef4a52a7ede', 'f5e8a9ca059e9740ebfa5bb01bd24b55eacc3cf900dc2e356a24c1c1b99113dd', 'e7d34d76d299ff7ec4996dde837a1e74f2a1cdfe4104ad9b64f5e95448240c35'],
    chainKeyAfter3: 'e072c00684286016f30e44332e853e752afda2240159d89c1a64ae7ef8e69d98',
  },
  {
    rootKey: '73b653920f9c46fbf1d47addf5583338dc8e051bde1fe871c55f911ce9b21b12',
    chainKey: 'a78ebd78e222fbf633c8eaa5e578d2d22dccd97824fa7c935341c85464872029',
    nextHeaderKey: '0f844757b0a9954eac8a383955d37b5fe844398face0cc987aa857e5609ed9e9',
    messageKeys: ['497be7bb9c7a5b1d30b5662191649b702b2e0cb9a15f21b52cebe010efd045f6', '796d7fe144d57bf6344ca06cdc43d3b28e3faf03b516cc5cb7604c896f9e70d2', '95df46d4e0b580347d251a9283e0608870b814523410663d045c422d7b5c51eb'],
    chainKeyAfter3: '14d133419ed9c755e5440b7602ba0ac376d2de16ea0d67d9068dbead015110e9',
  },
  {
    rootKey: 'dee53683ee1b93a1115b88a205bc0a50a6cf4417d285f43a5a1279b29ec7a059',
    chainKey: 'f3850eb86bdd70d33bf1319344a5b10efbc9993077689584db2493e92be9dc85',
    nextHeaderKey: '9bc974519516ae3d55322a8bcbba60de8bcc827d52d19e6448219e624f7358ee',
    messageKeys: ['0c484b9ce3e018be967df14d76ef7714c2cae68c6749bcbc5efe9f40b72a9b31', '41cbfa9fdad12293c0fedc319182af1255ad4cd77c4025e582cbfcd4122dfd14', 'c3c64b9bb80f8cae71897b82909487608c4bf15d71dd0cc3cef414c17de5e79c'],
    chainKeyAfter3: '85ce55069edbd34142d975cb5fcec03d88a29032783eb335baea4b04aa3e940d',
  },
]

/** Alice's first message: offer-only (her first chain offers an ML-KEM key), 23-byte plaintext, 1290 bytes. */
const MESSAGE_1 = [
  '22ee0eb110865f3c12d0571a2a7b3c3b750ed6c6f5c3a9511fa7f3317ce89295590e897b9f8a65c6c66724de05a457b5076ba25f3884ab8f53a52180af44efac',
  '8429d7774737d1097d02496829f85036d9d0b5e4da1450110a03e2e165883a758a3d7321ac1c943f90df8666404099cf3265afb9aad490fb8c4261d5f5ad45ee',
  'f25eef57673e54a379702c6645dd4a09a96441b811e819e5ebb9a522e1b5ae93df8ab2597abfb7b20b171eb92af56a82edfb7e287e330de9460caa3dfd4873f3',
  '6e8e4fedda8cdbc187aa8c7f5d1e9a7e7a95c0a0b2ca8d3518a961a349da96d7076ec970f4dff185b65bd61008be82e7f82a11a7067c3c3d11b79d8f600b6335',
  '90ad12ef00997bd11a528e2b37c413fca558498fcc8715095203474eb38c0e0da65bb640086bfbd22ee0f1e74773539ed0825014e14aa81184a1bba3aa2a0559',
  'cad7e4f4f3407c8f80af61778d06a1f4076cd0bb2be927b105f7e5b0b925f7f2a19fe0e05a6c95465fd4b1def9c5f72f838d0f891cd84962c36281d6e6340d27',
  '699f6b583fc06b7de93f28d086f77d3b4ae769640c8f9150175d9b8bad2c59bc0050f0d6770390a3b172129425c1c7f1575083fbe5a35f836401a2482939302a',
  'b2dfabdc2db6b0bd3e140723f5256c84cce000431271341d89fbf078c1de9a492a687d770e8080841b2d996942fd6e368b6e4de58674fefbc8ffd01513066101',
  '6921def77771034cf9c97485376d9c7d83059401f818e8117ded336ed7c8fb0abfb641d61e94d266719ac7e91329497e29ceca270a125c51aca400aee1fa1c90',
  '59be2c4eaec32e70f6c0695039bad0ba636abca7c92c7a99f290a4ab4962a1e0c6a04c7d64742396f89b986bab3e20b46be1a0eea601f92878f7dc500440fabb',
  '95929b17c1207b68185e693988f9794995b9798f712336784a99358fd6ffd09c2f4ba58ae6e407bd9cbb1004eac0a1861cc98fdbd3250fc38938fe495c4d0305',
  '9d80ada54ecdbcc90be594125e54c5d4255216f0a0b950b47601b0a4485d9a73c6c37cd378078f64eb68fb167c1d246ef89efc186344ff1df8433dc76bfd0477',
  '5661526562b4d8cf027208d9488caecf4f002c20138d4aca59d72415531d834579d066ddf58dc80e9ec663bf6415699330de8ff1ad1b3d8c5b1934463a30a6df',
  '954976eb0be35848da6455b7b69bc5418defa333926141cc690417d310b628be503ae33a9d5bbcac6fe35612dbfcaa5700e74a4ec12e878c238b3acc77d65a96',
  '25d0d170632db649bf73431e7eaf19c4b671e1b5126253c34072d94e7e2c76df969c4c05271ddfc76dfe4b577a4874623f947216c67ac0130a009daa3d0154b7',
  'db188da68b28dde398a7774aca2fe54746d9a069472f215884ef44a03d86ff2a9781b1ea205d0e3b1310de1a92ff6aa29adfe6f87ee4a3a9d6b8cf144ea025db',
  'b63fe7ad02fc8a38294f71fd44feea8cab256b9386ea0d500633b7c1f7c9d88a39949fb3643658964410f5c556f9d9c38de1de06ee7217fe2aed896dd67ce294',
  '66558854c6cea5ce1deca523cb32752de78c8629943f905e1d3bae2763ce4729ee358a4fd00f8c1a8d2e4664bf73312816a478bee858be99687bfe3e5c5c5837',
  '9a994629dc0edd760f16cdbd27dc102012be619ff8ff885095b4964fea93a3c682b14500ee8805188d747c570c561d1fdc988fe0572d374e3f2dc2897a9d88c0',
  '717645373e448aac275b6786879aae2f67e08fc8816977145dfc69c00edf8ec51c0a2d49cdbd7046e36eae697b5d404ba193c48012d400237e6a3c076837aa9f',
  'ee2dae8e90248f8b0790',
].join('')
/** Bob's reply, the session's first KEM step (to Alice's offer): SHA-256 of its 2380 bytes. */
const MESSAGE_2_SHA256 = '7521d892d00d6411365cdf22f5e603e059a9d1952d148c22ac393a13af345122'
/** Alice's next message: a plain DH step. */
const MESSAGE_3 = [
  '2038dc27be671b0ffe6f537b471e60004f1bc1b28db34582165acf3c823dacf78ba584d50a6f23cfb7ff8278672f1b919c1c0684ffee5cd723ac1125159c0378',
  '9dcc62ccd9fcec8bcd2933f6cd7abe1acf9acef071aec7ae931570d22f243b26877ceac1703a6579',
].join('')
/** Root keys after each of the three session steps (equal on both sides). */
const SESSION_ROOT_KEYS = ['0379894d7cab69afd00b8c5598718da7abe3f73f926a50d51ee9e5dda73c56f8', '74789b2ac93438e82b8dcefdb0f2d566e3519869c34ede56d76d9fc54fb56e62', '901a1904fab42838819d2eee3bed437ffe62e2e21952c56ddbcab6784f89b1e0']

test('KDF vectors: initial keys, three root steps, three chain steps each', () => {
  const s = portableSuite
  const init = kdfInit(s, fromHex(INIT.sharedSecret), fromHex(INIT.sessionId))
  assert.deepEqual([toHex(init.rootKey), toHex(init.headerKeyA), toHex(init.nextHeaderKeyB)], [INIT.rootKey, INIT.headerKeyA, INIT.nextHeaderKeyB])
  let rootKey = init.rootKey
  STEP_INPUTS.forEach(([dh, kem], i) => {
    for (const suite of [portableSuite, defaultSuite]) {
      const r = kdfRoot(suite, rootKey, dh, kem)
      const want = STEPS[i]
      assert.ok(want !== undefined)
      assert.deepEqual([toHex(r.rootKey), toHex(r.chainKey), toHex(r.nextHeaderKey)], [want.rootKey, want.chainKey, want.nextHeaderKey])
      let ck = r.chainKey
      const mks: string[] = []
      for (let j = 0; j < 3; j++) {
        const c = kdfChain(suite, ck)
        mks.push(toHex(c.messageKey))
        ck = c.chainKey
      }
      assert.deepEqual(mks, want.messageKeys)
      assert.equal(toHex(ck), want.chainKeyAfter3)
    }
    rootKey = fromHex(STEPS[i]?.rootKey ?? '')
  })
})

function session(suite: Suite): { alice: RatchetState; bob: RatchetState } {
  return makePair(suite, { random: testRandom('kat/fixture') })
}

test('message vectors: the exact bytes of a first (offer) message, a KEM-step reply and a plain message', () => {
  const s = portableSuite
  let { alice, bob } = session(s)
  const ra = testRandom('kat/alice')
  const rb = testRandom('kat/bob')
  const m1 = send(s, alice, 'parley ratchet vector 1', ra)
  alice = m1.state
  assert.equal(toHex(m1.message), MESSAGE_1)
  assert.equal(ratchetStateInfo(alice).sendChainKem, 'offer')
  bob = receive(s, bob, m1.message).state
  assert.deepEqual([toHex(alice.rootKey), toHex(bob.rootKey)], [SESSION_ROOT_KEYS[0], SESSION_ROOT_KEYS[0]])
  const m2 = send(s, bob, 'parley ratchet vector 2', rb)
  bob = m2.state
  assert.equal(toHex(s.sha256(m2.message)), MESSAGE_2_SHA256)
  assert.equal(ratchetStateInfo(bob).sendChainKem, 'kem-step')
  alice = receive(s, alice, m2.message).state
  assert.deepEqual([toHex(bob.rootKey), toHex(alice.rootKey)], [SESSION_ROOT_KEYS[1], SESSION_ROOT_KEYS[1]])
  const m3 = send(s, alice, 'parley ratchet vector 3', ra)
  alice = m3.state
  assert.equal(toHex(m3.message), MESSAGE_3)
  bob = receive(s, bob, m3.message).state
  assert.deepEqual([toHex(alice.rootKey), toHex(bob.rootKey)], [SESSION_ROOT_KEYS[2], SESSION_ROOT_KEYS[2]])
})

test('the native backend decrypts the frozen messages', () => {
  let { bob } = session(defaultSuite)
  const r1 = receive(defaultSuite, bob, fromHex(MESSAGE_1))
  assert.equal(r1.text, 'parley ratchet vector 1')
  bob = r1.state
  assert.equal(toHex(bob.rootKey), SESSION_ROOT_KEYS[0])
})

test('interop: one side native, the other portable, KEM steps at every DH step, reordered', () => {
  for (const [aSuite, bSuite] of [[defaultSuite, portableSuite], [portableSuite, defaultSuite]] as const) {
    let { alice, bob } = makePair(aSuite, { kemInterval: 1 })
    for (let round = 0; round < 4; round++) {
      const a1 = send(aSuite, alice, `a${round}.0`)
      const a2 = send(aSuite, a1.state, `a${round}.1`)
      alice = a2.state
      let r = receive(bSuite, bob, a2.message)
      assert.equal(r.text, `a${round}.1`)
      r = receive(bSuite, r.state, a1.message)
      assert.equal(r.text, `a${round}.0`)
      bob = r.state
      const b = send(bSuite, bob, `b${round}`)
      bob = b.state
      const back = receive(aSuite, alice, b.message)
      assert.equal(back.text, `b${round}`)
      alice = back.state
    }
    // Alice's first chain offers; her three later ones and all four of Bob's are KEM steps (interval 1).
    assert.equal(ratchetStateInfo(alice).kemStepsSent, 3)
    assert.equal(ratchetStateInfo(bob).kemStepsSent, 4)
  }
})
