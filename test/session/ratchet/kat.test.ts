/**
 * Frozen known-answer vectors of the ratchet, and interoperability of the two
 * backends. The KDF vectors were cross-checked once against an independent
 * HKDF/HMAC (Python's hmac/hashlib, RFC 5869); the message vectors run a
 * whole session on `portableSuite` with a deterministic random source
 * (node:crypto takes no caller randomness for ML-KEM encapsulation,
 * docs/crypto.md), so any change to the KDFs, the schedule, the header layout
 * or the AEAD inputs changes these bytes. A change here is a wire-format
 * change: bump RATCHET_WIRE_VERSION.
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
    messageKeys: ['636b054d476e093f0af063b1a7a3c42f21a714b63ba812d48b9c04a460071e5c', '1e9e846d4843d8dd13e251150a8417e34b8244f7656af4a0d4817a96a310452b', 'ff16c47718a7f3d2703e39778e687038c8bfe81e7c00402e520246b17eed0f1e'],
    chainKeyAfter3: '427c49b52091732f45b51e2c73a45a09ea07945944dca2c98d32ea12a8c5c831',
  },
  {
    rootKey: '73b653920f9c46fbf1d47addf5583338dc8e051bde1fe871c55f911ce9b21b12',
    chainKey: 'a78ebd78e222fbf633c8eaa5e578d2d22dccd97824fa7c935341c85464872029',
    nextHeaderKey: '0f844757b0a9954eac8a383955d37b5fe844398face0cc987aa857e5609ed9e9',
    messageKeys: ['2bdcd89642c5c54102446ee1136fd3de138fc0c1bcea1c854d3530f48dddade6', '48f81963d39d9cb99a937a185e17bf12090c5472f8cea310ed6bdeac2ea5a6d7', '77014fb6df0e294a4192954e36d8a41b040a16f0e6620916c73adbc295b7e7cb'],
    chainKeyAfter3: '7f0410a4ab506df2d3557caf3058fbe07cc4ff327ce765c54637f223af005813',
  },
  {
    rootKey: 'dee53683ee1b93a1115b88a205bc0a50a6cf4417d285f43a5a1279b29ec7a059',
    chainKey: 'f3850eb86bdd70d33bf1319344a5b10efbc9993077689584db2493e92be9dc85',
    nextHeaderKey: '9bc974519516ae3d55322a8bcbba60de8bcc827d52d19e6448219e624f7358ee',
    messageKeys: ['9c14236b7e94dc46852cf230fd279ba39cc76f61615ed802355b6cd0fcc8a1d3', 'ceab03a8bf3a5fdc32e465d54ef7a5548ea0e0d8210f4f05c24f708b1dc4c8e7', '03ebdaea4a6d251603c538c861e9c1b89705482900de3277fcb2aef0094f986e'],
    chainKeyAfter3: '3aeadd5fa7fc9eafa062374d3b120c08de0841466900aa36fe7a2db63eddc4a3',
  },
]

/** Alice's first message: a KEM step (she holds Bob's ML-KEM key from the start), 23-byte plaintext. */
const MESSAGE_1 = [
  '115024e1fee47c220ca96824e51e01e63c3d1ff8a2a141ffa3ecb1db53dbc81d0a56d647bbd4b0f50b1b576b9b36e1fa7871ecf4f91850d3f6653b3db48f0ad0',
  'da6b95e58fb0e3d816df4c8a85c37511e16ef4291c32d5a382840ea34e2575ffdec3d41744b7eb10a0001d8ebf94794ad7c6d28a10a38cae804ddedd90cb8765',
  'f09fc616be3cae8299fe9912fdb8bd1d6766479dd4d05805eccfa6fac982027799a69a2d72793b53f8d3092edf298b3c5a8bd33e7b0d98b7d9008a83f36fef6a',
  '97747cf63b530a76a6780738104ec1a0780908fad26dd285c859a253cb7c89b3e23c1f1838f947cec424d880f9b95c535183034fd805b6c9fb6a158c8380e9c2',
  'aa2337001fce4251b38f1ea7a1e9f1b7ef31a5b740ce90450b8cae35c6bd8493c6a8cbe250f56a6428270877982eb6e9b56a0aab8e098bfb4df113bb76ee103b',
  '20758e0aade4f3f3a12e5f8c75224f57329ae970ec2754ced325f6512fdd6986eed0a7d788061ae7adc72f14c6997d5ff9b58d066463ceec2dc896e2d880af97',
  '5c9139f217111f909cc25644274c4e6af6760a9c5ff01ed4404456c75c6f8e3cb9d4fabaaa7d12589110dfb577e8a29db613f87cf4bcbac1cb81201be29bcb33',
  '9c11bb223471c4e5cea8cf3219eeba295a6f79171f025ac98036984cfaf59df204a4937096cc50f3600f103f46905d423990db24e214793cc0f46a3847b40479',
  'bfddc61b4537c99c7e30f498b63da8442e6d31bf5675ef902fe5ee15e4d6d98b6fda7567f8aedda523eac6464c8013bc143992f9daf6faaf926a9db8e21de736',
  '5a28b405ed339427426caa181d6fb20f37a6c07dc2d7759fbcd431ae991828f9971aa885405b30ded943f4475da4429e5e6145a8914ef0a3e595e8c1de9777ee',
  '25d125b1bebceec06c0059a1065a5b85c0efed18845e934b0e8f1a6210321a956b4274bf0ed3774f7d8a050996fc584465aa39591b298a857cfc6e9e86a85cee',
  'd6d579be5f7f13eb1e33617fe1faced8f0507ca6c1d192d378485de5a2f70e10752d494b542ca14128ceef26019a9cb8470196bec7250464e59e50216963f90f',
  '68388a72ff36a0f20574ce1e7e6f008c5ab53dbbb7df588a063673b2b6d24b5f53edce463fbc10d16d0879731b34db15b81015d0671de52bdb79b39eea326fbc',
  '02bd658a1b0dd2ce57c42be8e347b73ad7c3126d4527373b7d550026ca29ef6a276f327c4e1bcc56e1972d0fafd8bb7c1bc693aaaba5473bd407f65ca0fb93a1',
  '70351d125cf3aeade04a89957683d216be96acc24cf2ef7f00872859030fe3d66f684cff914bde393c07b9caa0ba4e745bf3c3de0148d7c96455a75868aa19a6',
  'f25821a01507a30aafa836cfbd079a7b5d0533744abb87493e0d966d90bc932c98f2680a7841c002e0ff7bb93855f967449e3ca1ee12f2110eb2550ff14eaa53',
  'dbbddab095c6c5da0a3245f218db9eccfbaa55362b58475fe8ca6094fa69339beda6caacd34d010370860ebde3ee540d12c0780efbef58fb40d953b8adce0e39',
  'e048df64051db60f37b8c2dfcd7d2feca3e15267dea7a62cf13ef3cc3888042d79939fa5b268650b6313dcee910e908b07626e99444d7512531e01b35c0af760',
  '26e0aa96875903d815e7aa2b2d7daba7dcadc0e33e41831d357d9a4f68b32de785aa24ae3aaea9058ef5d666c1b9d6a54de2a07f9250686e7b79726e2cadf81b',
  '3c743597ff1cd4632a45c9ad89d97d1d2e159f9291773c854cb0fce8c7c92ecb15e9aab65cf479d78e5f6a999693457dcfd9fe401cceb414bf4477d4fbcb5517',
  '0ab5b44ce6d56965a0afce568a8e1614cf6ad5a0a5baa9e858c43a382fcd2683ecd20bac2ed442c4912a6ccb5a91f3f222c4a81a09480ce8f218a70f96d377a3',
  'c16c7490b38e65304ead6d503e07c71e229bfd28b0af179daaea6601c981e2a7c55bddc056dd2bf6b807640ee2e36975a8fa5647f9232f75fa03ca03bbf35b85',
  '9e41eec62a83336b3f0b9c5d601f91dab6c134a8be63601c3f65204446be77dec7118ef710a4c1ed3358b233b47ec6b138e31cfe92b02a03b4be8de81732baa2',
  'bd44815c7a9781321c57df5420385b5b5cc582150c98f8d144e9dd4d083cbf4fcd344d92f15bd549dd13ed5218d47c97bf316a2bf4df582452ec1476c6fe6f95',
  'ab88bd3c14c5a6205ad9f5e22d384539439b3cb598535f416d3fc84ab3d737120ed911cb93d7ed115f3fff3634b71d85d07436eff733f81ae8a9f04b9b6ffb8a',
  '5ae60163733d544a526c8c6d45a98979d8a727c238b99c04bc3034f22d6b76e428ec75ecad6d07d0f4ec12bda332e0b7ae757459cb9eb0994a0a0207a7cbd85f',
  '9420cf05e5ff29cfdc8d2b48922b72441e696cf6d853b45223f3358b197b5df2934e59d79a6ff98685d67d93171e3ef017318264ef034af7e35b5604fc4394d2',
  'dd2479524e270e0ceaf599df8e2c7b3377904b26ad6f35d7420d0743b7cb4e2dd5a9923169d51a388d392bcf7c48ea5a3683595b6aa69b6ae2ca888381972a17',
  '2c3fe2bb27a9d3d186304f77ed4bdaf8ca6b15272f46e4dd9b97351c7060a79cb0540e01705049cb2bb206e4b0fde81374745e08fa29e2e21e60b0d50cb040ab',
  '1cacaea19abe236062de7c2c7aeec45df0c6c96d7aba34b04cfed80b518aca4fa57b3a340c695629779f2ffd957e8a13dba1bd9bc62540886063a33a7fcb3054',
  '29f1d3bf93a284cbba0d0fc70ca526b760082db24f81ba9ef0b65258b467d5747e88b8c8d2732fe867c24c5823aa4b98f0212acc72e7b79d62f8f60d71c504ba',
  '794fe9a519c11ae2bf43d27f258c84639de06ab920701e4b69039817dcab963ffc91ab2f1b4a256397bdc0c02b3f517eac9d4f32d6760bf8b6124a2f1d820f3d',
  'c25c5e0ea180677781ca65a8304837152029a6c9931a46b598bf6e4539e4b3d334d2539d89852213ed1411db18cc44b4186d7c78a66d9b43e0fff36f0a8a92d2',
  '18344e3178b2c82f8d70c5d0c247dccfb90c472040ce3fa6d80604044e049dde5117ceaf6f805c6cc148cb2f36b64d728c6e14dd6d506ce0e6b0cc70e03f6465',
  'ab8a8964ab5d85324683b5a01022b68e5a4dcc9674b0afed8793ad513d76bb7815134f866351915df2369898cd0360f528963040a243d85051cdfc2114002ac2',
  '6539301d9f487134d28febc7f74058f8190eb72163a1f23cbb704872b0058f0b878215e0374bee522f0206ccb3d95a002e1add942c46bec4f8bbc72b2464f755',
  '2e2ca1a9b709581ea7b48b1e4b4190d7dc956edfcf29e8001422eb88dac156de7359f3bd0d2d4fcb767b9d3a748045dbb1c614a2c5bac3929ee14e2460914321',
  '422829dda6e86111a9af1e67',
].join('')
/** Bob's reply, a KEM step too: SHA-256 of its 2380 bytes. */
const MESSAGE_2_SHA256 = '12e2bce1c2577e98332b99e63f6c6e2589ebd72b8824abedf24a405a49ccfef6'
/** Alice's next message: a plain DH step. */
const MESSAGE_3 = [
  '10a0e44362f54bf2542911e77f6afe49e7e3c87fe0455a26ef43c1fd136d783c406f0f9a97ee73867426aa1fcf5b292c46d63ebbafe34eeef91ce0da5c14692c',
  '0e8852adf00663e626db1b154e08a318dde87989a77c587fdc6c2574a2eaa80610f2f1c616fc31b9',
].join('')
/** Without Bob's ML-KEM key at start, Alice's first message offers one: SHA-256 of its 1290 bytes. */
const OFFER_MESSAGE_SHA256 = 'bcc3565c3a2299d5f6f035b1817fc9027f80c333f78eea9a94d9c28ac50d031a'
/** Root keys after each of the three session steps (equal on both sides). */
const SESSION_ROOT_KEYS = ['cc21baf0343396669069b9af4b0160a7ffaacf09dc6ab3024240cc0aa223d766', '407c5900ec8627e3eb0feb9d1b65ab9fa7963da8be43e09cd8abffd9ceba3d9b', 'db7b9dce17e65ea9ecbc8546a5331fd3b5848c65d78c5efe54d639ac9d0a414a']

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

function session(suite: Suite, withKemKey = true): { alice: RatchetState; bob: RatchetState } {
  return makePair(suite, { random: testRandom('kat/fixture'), withKemKey })
}

test('message vectors: the exact bytes of a first (KEM-step) message, a KEM-step reply and a plain message', () => {
  const s = portableSuite
  let { alice, bob } = session(s)
  const ra = testRandom('kat/alice')
  const rb = testRandom('kat/bob')
  const m1 = send(s, alice, 'parley ratchet vector 1', ra)
  alice = m1.state
  assert.equal(toHex(m1.message), MESSAGE_1)
  assert.equal(ratchetStateInfo(alice).sendChainKem, 'kem-step')
  bob = receive(s, bob, m1.message).state
  assert.deepEqual([toHex(alice.rootKey), toHex(bob.rootKey)], [SESSION_ROOT_KEYS[0], SESSION_ROOT_KEYS[0]])
  const m2 = send(s, bob, 'parley ratchet vector 2', rb)
  bob = m2.state
  assert.equal(toHex(s.sha256(m2.message)), MESSAGE_2_SHA256)
  alice = receive(s, alice, m2.message).state
  assert.deepEqual([toHex(bob.rootKey), toHex(alice.rootKey)], [SESSION_ROOT_KEYS[1], SESSION_ROOT_KEYS[1]])
  const m3 = send(s, alice, 'parley ratchet vector 3', ra)
  alice = m3.state
  assert.equal(toHex(m3.message), MESSAGE_3)
  bob = receive(s, bob, m3.message).state
  assert.deepEqual([toHex(alice.rootKey), toHex(bob.rootKey)], [SESSION_ROOT_KEYS[2], SESSION_ROOT_KEYS[2]])

  const offer = session(s, false)
  assert.equal(toHex(s.sha256(send(s, offer.alice, 'parley ratchet vector 4', testRandom('kat/alice')).message)), OFFER_MESSAGE_SHA256)
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
    assert.equal(ratchetStateInfo(alice).kemStepsSent, 4)
    assert.equal(ratchetStateInfo(bob).kemStepsSent, 4)
  }
})
