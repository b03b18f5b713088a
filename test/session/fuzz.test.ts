/**
 * Fuzzing the session layer's decoders of untrusted bytes with the shared
 * harness (100k random and mutated inputs each; only ParleyErrors may
 * escape, no call may hang): the prekey bundle, the PQXDH header, the
 * first-message frame, and bundle verification on top of decoding (every
 * mutation that still parses reaches the signature checks). Seeds are real
 * encodings with and without the optional parts.
 */
import { decodeBundle, encodeBundle, signBundle, verifyBundle } from '../../src/session/bundle.js'
import { decodeFirstMessage, encodeFirstMessage } from '../../src/session/first-message.js'
import { decodeHeader } from '../../src/session/header.js'
import { initiate } from '../../src/session/pqxdh.js'
import { fuzzDecoder } from '../helpers/fuzz.js'
import { at, makeResponder, newIdentity, own, suite } from './fixtures.js'

const alice = newIdentity('alice')
const bob = newIdentity('bob')
const full = await makeResponder(bob)
const bare = await makeResponder(bob, { oneTime: false })
const { oneTimePrekey: _, ...withoutOtk } = full.bundle
const pqOnly = signBundle(suite, full.ours, withoutOtk)
const bundles = [encodeBundle(full.bundle), encodeBundle(bare.bundle), encodeBundle(pqOnly)]
const headers = [full.bundle, bare.bundle, pqOnly].map((bundle) => initiate(suite, { ours: own(alice), theirs: bob.state, bundle, now: at(10) }).firstMessage)
const frames = headers.map((header, i) => encodeFirstMessage({ header, ratchetMessage: new Uint8Array(40 + i * 100).fill(i + 1) }))

fuzzDecoder('session decodeBundle', decodeBundle, bundles)
fuzzDecoder('session verifyBundle (bytes)', (b) => verifyBundle(suite, b, bob.state, at(20)), bundles, { runs: 20_000 })
fuzzDecoder('session decodeHeader (PQXDH)', decodeHeader, headers)
fuzzDecoder('session decodeFirstMessage', decodeFirstMessage, frames)
fuzzDecoder('session decodeFirstMessage + decodeHeader', (b) => decodeHeader(decodeFirstMessage(b).header), frames)
