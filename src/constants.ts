/**
 * Every domain-separation label and every limit of Parley, in one place.
 * Labels follow `parley/v1/<purpose>`; a label is never reused for two
 * purposes. A limit is a named constant with a comment saying why it is that
 * size. Nothing else in `src/` spells a label or a limit inline.
 */

/** The protocol version string carried in every versioned structure. */
export const PROTOCOL_VERSION = 1
/** The crypto suite identifier (DESIGN.md §3). */
export const SUITE_ID = 'parley-1'

// ---------------------------------------------------------------------------
// Labels (KDF info strings, signature contexts, hash prefixes)
// ---------------------------------------------------------------------------

export const LABELS = {
  /** Prefix of every hybrid signature input: the purpose label follows. */
  hybridSignature: 'parley/v1/hybrid-sig',
  /** Hybrid KEM combiner label (KitchenSink construction). */
  hybridKem: 'parley/v1/kem',
  /** Seed expansion of a hybrid signing key into Ed25519 + ML-DSA-65 seeds. */
  sigKeySeed: 'parley/v1/sig-key-seed',
  /** Signature over a KEL event. */
  kelEvent: 'parley/v1/kel-event',
  /** Digest of an inception event that becomes the DID's identifier. */
  didInception: 'parley/v1/did-inception',
  /** Digest of the next-keys commitment (pre-rotation). */
  nextKeyCommitment: 'parley/v1/next-keys',
  /** Digest linking one KEL event to the previous one. */
  eventDigest: 'parley/v1/event-digest',
  /** Group membership proof: group control key signature. */
  groupProofGroup: 'parley/v1/group-proof/group',
  /** Group membership proof: member key signature. */
  groupProofMember: 'parley/v1/group-proof/member',
  /** ML-DSA-65 co-signature over a VC-JWT's signing input. */
  vcPqCoSignature: 'parley/v1/vc-pq',
  /** Holder's hybrid signature over a verifiable presentation. */
  vpSignature: 'parley/v1/vp',
  /** Key-file sealing (passphrase-derived key wraps the data key). */
  keystoreWrap: 'parley/v1/keystore-wrap',
  /** Inviter's signature over a full invite. */
  invite: 'parley/v1/invite',
  /** Digest in a compact invite committing to the inviter's KEL and bundle. */
  inviteDigest: 'parley/v1/invite-digest',
  /** Sealing a reset invite to the peer's current agreement key. */
  resetSeal: 'parley/v1/reset-seal',
  /** Per-record sealing of secrets at rest. */
  keystoreRecord: 'parley/v1/keystore-record',
  /** Owner's signature over a whole prekey bundle, made when it is published (PQXDH §3.2's prekey signatures, one for all). */
  prekeyBundle: 'parley/v1/prekey-bundle',
  /** PQXDH initiator's hybrid signature over its first-message header (docs/pqxdh.md). */
  pqxdhInitiator: 'parley/v1/pqxdh-init',
  /** Digest naming the responder's agreement key in a PQXDH header. */
  pqxdhAgreementKeyId: 'parley/v1/pqxdh-agreement-key',
  /** Digest of the PQXDH transcript (the KDF info, the ratchet's associated data). */
  pqxdhTranscript: 'parley/v1/pqxdh-transcript',
  /** HKDF info prefix of the PQXDH shared secret SK. */
  pqxdhSecret: 'parley/v1/pqxdh-secret',
  /** Digest giving the 16-byte session id of a PQXDH session. */
  pqxdhSessionId: 'parley/v1/pqxdh-session-id',
  /** Double ratchet: HKDF from the PQXDH secret to the first root key and the two initial header keys. */
  ratchetInit: 'parley/v1/ratchet-init',
  /** Double ratchet: KDF_RK of a DH-only step (root key, chain key, next header key). */
  ratchetRoot: 'parley/v1/ratchet-root',
  /** Double ratchet: KDF_RK of a KEM step (DH output and ML-KEM-768 secret mixed). */
  ratchetRootKem: 'parley/v1/ratchet-root-kem',
  /** Double ratchet: KDF_CK, SHAKE256(chain key ‖ label) = message key ‖ next chain key. */
  ratchetChain: 'parley/v1/ratchet-chain',
  /** Each side's hybrid signature over the connection-authentication transcript (src/network/auth-messages.ts). */
  auth: 'parley/v1/auth',
  /** STREAM chunk associated data of a file transfer (prefix of transfer id ‖ chunk index). */
  blobChunk: 'parley/v1/blob-chunk',
  /** Digest of a file offer naming it in the receiver's progress file. */
  blobOffer: 'parley/v1/blob-offer',
  /** Local database (src/db): HKDF info of the row-sealing key derived from the database data key. */
  dbSealKey: 'parley/v1/db-seal-key',
  /** Local database: HKDF info of the HMAC key of lookup columns (peer DIDs, ids), so the file does not say who you talk to. */
  dbIndexKey: 'parley/v1/db-index-key',
  /** Local database: HKDF info of the key-check value that tells which data key the file is sealed under. */
  dbKeyCheck: 'parley/v1/db-key-check',
  /** Local database: prefix of every row's associated data (table ‖ primary key ‖ schema version). */
  dbRow: 'parley/v1/db-row',
} as const

// ---------------------------------------------------------------------------
// Key and primitive sizes (fixed by the primitives; checked on every decode)
// ---------------------------------------------------------------------------

export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SEED_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64
export const X25519_KEY_LENGTH = 32
export const MLDSA65_PUBLIC_KEY_LENGTH = 1952
export const MLDSA65_SEED_LENGTH = 32
export const MLDSA65_SIGNATURE_LENGTH = 3309
export const MLKEM768_PUBLIC_KEY_LENGTH = 1184
export const MLKEM768_SEED_LENGTH = 64
export const MLKEM768_CIPHERTEXT_LENGTH = 1088
export const MLKEM768_SHARED_SECRET_LENGTH = 32
export const SHA256_LENGTH = 32
export const AES256_KEY_LENGTH = 32
export const AES_GCM_NONCE_LENGTH = 12
export const AEAD_TAG_LENGTH = 16
/** Most ciphertext parts an AEAD open takes as they are (`aesGcmOpenDetached`); more are joined first, so the plaintext never comes back in more pieces. */
export const AEAD_MAX_DETACHED_PARTS = 16
export const XCHACHA20_KEY_LENGTH = 32
export const XCHACHA20_NONCE_LENGTH = 24
/** Seed of a hybrid KEM key pair (expanded with SHAKE256, as KitchenSink does). */
export const HYBRID_KEM_SEED_LENGTH = 32
/** Shared secret of the hybrid KEM. */
export const HYBRID_KEM_SHARED_SECRET_LENGTH = 32
/** Seed of a hybrid signing key pair (expanded with HKDF into the two component seeds). */
export const HYBRID_SIGNING_SEED_LENGTH = 32
/** Expanded FIPS 203 ML-KEM-768 decapsulation key (vectors only; we store seeds). */
export const MLKEM768_EXPANDED_SECRET_KEY_LENGTH = 2400
/** ML-KEM encapsulation randomness `m` (FIPS 203 Algorithm 20, test hook only). */
export const MLKEM_RANDOMNESS_LENGTH = 32
/** ML-DSA signing randomness `rnd` (FIPS 204 Algorithm 2, test hook only). */
export const MLDSA_RANDOMNESS_LENGTH = 32
/** Longest ML-DSA context string (FIPS 204 §5.2). */
export const MLDSA_MAX_CONTEXT_LENGTH = 255
/** Longest HKDF-SHA-256 output (RFC 5869 §2.3: 255 · HashLen). */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32
/** Longest HKDF `info` (node:crypto's limit; the portable backend enforces it too so both agree). */
export const HKDF_MAX_INFO_LENGTH = 1024
/** Longest label for signatures and digests (a two-byte length prefix encodes it). */
export const LABEL_MAX_LENGTH = 255
/**
 * Public-key objects the native backend keeps imported (peer keys are reused
 * across many verifications and encapsulations; public data only, never
 * secrets). 64 entries of at most ~2 KiB each.
 */
export const NATIVE_PUBLIC_KEY_CACHE_ENTRIES = 64

// ---------------------------------------------------------------------------
// Passphrases (Argon2id). The floor is what we refuse to go below when
// reading a key file: a file claiming cheaper parameters is refused.
// ---------------------------------------------------------------------------

/** Argon2id memory in KiB (64 MiB: OWASP's first recommended profile). */
export const ARGON2_MEMORY_KIB = 64 * 1024
/** Argon2id passes. */
export const ARGON2_PASSES = 3
/** Argon2id lanes. */
export const ARGON2_PARALLELISM = 1
/** Lowest Argon2id memory a key file may claim (19 MiB, OWASP minimum). */
export const ARGON2_MIN_MEMORY_KIB = 19 * 1024
/** Lowest Argon2id passes a key file may claim. */
export const ARGON2_MIN_PASSES = 2
/** Highest Argon2id memory a key file may claim (1 GiB): stops a file from exhausting RAM. */
export const ARGON2_MAX_MEMORY_KIB = 1024 * 1024
/** Highest Argon2id passes a key file may claim: bounds unlock time. */
export const ARGON2_MAX_PASSES = 10
/** Salt length for Argon2id. */
export const ARGON2_SALT_LENGTH = 16
/** Shortest Argon2id salt either backend accepts (RFC 9106 §3.1: at least 8 bytes). */
export const ARGON2_MIN_SALT_LENGTH = 8
/** Highest Argon2id lanes either backend accepts (more buys nothing on our targets). */
export const ARGON2_MAX_PARALLELISM = 16
/** Shortest Argon2id output (RFC 9106 §3.1 allows 4; a key is never shorter than 16). */
export const ARGON2_MIN_OUTPUT_LENGTH = 16
/** Longest Argon2id output (we derive one key of at most 64 bytes). */
export const ARGON2_MAX_OUTPUT_LENGTH = 64

// ---------------------------------------------------------------------------
// Codec limits (strict CBOR decoding)
// ---------------------------------------------------------------------------

/** Largest single encoded structure we decode (1 MiB): KELs and credentials are far smaller. */
export const CODEC_MAX_INPUT_BYTES = 1024 * 1024
/** Deepest nesting of arrays/maps accepted. */
export const CODEC_MAX_DEPTH = 16
/** Most items in one array or entries in one map. */
export const CODEC_MAX_ITEMS = 4096
/** Map keys whose encoding the CBOR encoder keeps (Parley's structures use a few hundred short constant keys; the first this many are kept). */
export const CODEC_KEY_CACHE_ENTRIES = 256
/** Longest map key (UTF-16 units) the encoder keeps: the structures' keys are short names; anything longer is encoded each time. */
export const CODEC_KEY_CACHE_MAX_LENGTH = 64
/** Longest `kind` of a versioned envelope, in bytes (kinds are short ASCII names like `parley/kel-event`). */
export const CODEC_MAX_KIND_LENGTH = 64
/** Highest envelope version number accepted (versions are small counters, starting at 1). */
export const CODEC_MAX_VERSION = 0xffff

// ---------------------------------------------------------------------------
// Identity limits
// ---------------------------------------------------------------------------

/**
 * Most events in one KEL we will verify (bounds work for a hostile log: each
 * event costs one hybrid verification, ~0.25 ms, so 1,024 events stay under
 * half a second; a monthly rotation for 85 years fits).
 */
export const KEL_MAX_EVENTS = 1024
/** Largest encoded KEL (1,024 events of up to ~8 KiB; raises the codec's 1 MiB default for this structure only). */
export const KEL_MAX_BYTES = 8 * 1024 * 1024
/** Largest encoded single event (a group inception with GROUP_MAX_MEMBERS DIDs is ~70 KiB). */
export const KEL_MAX_EVENT_BYTES = 256 * 1024
/**
 * How many rotated-out keys a failed signature is tried against to tell
 * KEL_ROTATED_KEY from KEL_SIGNATURE_INVALID: bounds the work a bad signature
 * costs. Older keys are still refused, as KEL_SIGNATURE_INVALID.
 */
export const KEL_ROTATED_KEY_LOOKBACK = 16
/** Most agreement (hybrid KEM) keys in one event; an establishment event has exactly one signing key. */
export const KEL_MAX_KEYS = 8
/** Most services listed in one event. */
export const KEL_MAX_SERVICES = 32
/** Longest service id/type/endpoint string. */
export const KEL_MAX_SERVICE_FIELD_LENGTH = 512
/** Most members in a group. */
export const GROUP_MAX_MEMBERS = 1024
/** Longest human-readable name (identity or group). */
export const MAX_NAME_LENGTH = 128
/** Latest event time accepted, in Unix seconds (the end of the ECMAScript Date range, year 275760). */
export const KEL_MAX_TIMESTAMP_SECONDS = 8_640_000_000_000
/** Shortest challenge a membership proof accepts (128 bits: unguessable, single use). */
export const GROUP_PROOF_MIN_CHALLENGE_LENGTH = 16
/** Longest challenge a membership proof accepts (a transcript hash or nonce, never bulk data). */
export const GROUP_PROOF_MAX_CHALLENGE_LENGTH = 256

// ---------------------------------------------------------------------------
// Credential limits
// ---------------------------------------------------------------------------

/** Largest VC-JWT or VP-JWT we parse. */
export const VC_MAX_JWT_LENGTH = 64 * 1024
/** Allowed clock skew when checking nbf/exp/iat, in seconds. */
export const VC_CLOCK_SKEW_SECONDS = 60
/** Default lifetime of a presentation, in seconds. */
export const VP_DEFAULT_LIFETIME_SECONDS = 300
/** Longest presentation lifetime (exp - iat) a verifier accepts: a presentation is for one connection. */
export const VP_MAX_LIFETIME_SECONDS = 3600
/** Deepest JSON nesting in a JWT header/payload, container or DID document (a VC needs about 4). */
export const VC_MAX_JSON_DEPTH = 16
/** Largest issuer/holder KEL embedded in a container, decoded bytes (= the codec's input limit). */
export const VC_MAX_EMBEDDED_KEL_BYTES = 1024 * 1024
/** Largest credential container: JWT + ML-DSA-65 co-signature + base64url KEL (4/3 of 1 MiB) + slack. */
export const VC_MAX_CONTAINER_BYTES = 2 * 1024 * 1024
/** Most credentials in one presentation. */
export const VP_MAX_CREDENTIALS = 8
/** Largest presentation container: the holder KEL plus a few credentials with their issuer KELs. */
export const VP_MAX_CONTAINER_BYTES = 4 * 1024 * 1024
/** Longest presentation nonce string (a transcript hash in base64url is 43). */
export const VP_MAX_NONCE_LENGTH = 512
/** Most entries in a credential's `type`, `@context` or a trust policy list we read. */
export const VC_MAX_LIST_ITEMS = 64
/** Most issuers or types in one trust policy. */
export const TRUST_POLICY_MAX_ENTRIES = 1024
/** Longest DID or DID URL (kid) accepted in credentials, policies and resolution. */
export const DID_MAX_LENGTH = 2048
/** Largest did:web document fetched (a DID document with a few keys is a few KiB). */
export const DID_WEB_MAX_DOCUMENT_BYTES = 64 * 1024
/** did:web fetch timeout, in milliseconds. */
export const DID_WEB_TIMEOUT_MS = 10_000
/** Most verification methods considered in one resolved DID document. */
export const DID_DOCUMENT_MAX_METHODS = 64

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/** Largest file (KEL export, credential, key file) the CLI reads. */
export const MAX_INPUT_FILE_BYTES = 4 * 1024 * 1024
/** Most records in one key file. */
export const KEYSTORE_MAX_RECORDS = 1024
/** Largest plaintext record in a key file (secrets are small; 64 KiB is generous). */
export const KEYSTORE_MAX_RECORD_BYTES = 64 * 1024
/** Longest record name in a key file. */
export const KEYSTORE_MAX_NAME_LENGTH = 128
/** Largest passphrase file read. */
export const MAX_PASSPHRASE_FILE_BYTES = 4096
/** Shortest passphrase accepted for a new key file. */
export const MIN_PASSPHRASE_LENGTH = 8
/** Mode of every file holding secrets. */
export const SECRET_FILE_MODE = 0o600
/** Mode of the home directory. */
export const HOME_DIR_MODE = 0o700

// ---------------------------------------------------------------------------
// Sessions: invites, resets, introductions
// ---------------------------------------------------------------------------

/** Longest compact invite URI (`parley:…`): fits a QR code at a comfortable error-correction level. */
export const INVITE_COMPACT_MAX_BYTES = 400
/** Most addresses an invite lists. */
export const INVITE_MAX_ADDRESSES = 8
/** Longest address (a multiaddr string). */
export const INVITE_MAX_ADDRESS_LENGTH = 256
/** One-time invite token. */
export const INVITE_TOKEN_LENGTH = 16
/** Rendezvous ids (initial and reset mailbox addresses agreed at setup). */
export const RENDEZVOUS_ID_LENGTH = 16
/** Longest lifetime of an invite: a stale invite carries stale prekeys. */
export const INVITE_MAX_LIFETIME_SECONDS = 30 * 24 * 3600
/** Default lifetime of an invite. */
export const INVITE_DEFAULT_LIFETIME_SECONDS = 7 * 24 * 3600
/** Largest prekey bundle carried inside an invite. */
export const INVITE_MAX_BUNDLE_BYTES = 64 * 1024
/** Largest encoded full invite (a KEL plus a bundle and a little more). */
export const INVITE_FULL_MAX_BYTES = KEL_MAX_BYTES + INVITE_MAX_BUNDLE_BYTES + 64 * 1024
/** Largest issued-invite record an InviteStore keeps (purpose, audience, rendezvous, reason: well under 8 KiB). */
export const ISSUED_INVITE_RECORD_MAX_BYTES = 8 * 1024
/** Lifetime of a reset invite: long enough for a peer that is offline for a while to fetch its reset rendezvous. */
export const RESET_INVITE_LIFETIME_SECONDS = 7 * 24 * 3600
/** Lifetime of an introduction invite: both parties are online contacts of the introducer. */
export const INTRODUCTION_INVITE_LIFETIME_SECONDS = 7 * 24 * 3600
/** Longest reset reason text (a sentence or two from a person or the software). */
export const RESET_REASON_TEXT_MAX_BYTES = 512
/** Largest sealed reset deposit: a full invite, its reason, the KEM ciphertext and the AEAD framing. */
export const RESET_DEPOSIT_MAX_BYTES = INVITE_FULL_MAX_BYTES + 8 * 1024
/**
 * Consecutive DECRYPT_FAILED refusals in a peer's active session after which
 * the manager proposes a reset (SessionManager option `resetAfterDecryptFailures`
 * overrides it; 0 disables). High enough that a few injected or corrupted
 * messages do not reset a working session.
 */
export const SESSION_RESET_DECRYPT_FAILURES = 5
/** Introductions an introducer may have outstanding per contact (each waits for that contact's offer). */
export const INTRODUCTION_MAX_PENDING = 16
/** Most DIDs an allow-list introduction policy holds (it is checked on every introduction step). */
export const INTRODUCTION_POLICY_MAX_ALLOW = 4096
/**
 * Room the session envelope (`parley/session-msg`) takes around its first
 * message or ratchet message: the CBOR framing, kind, version and session id.
 */
export const SESSION_ENVELOPE_FRAMING_BYTES = 1024
/**
 * Room the inner payload framing (`parley/session-payload`: type, an attached
 * hello of two 16-byte ids) takes inside a ratchet plaintext: application
 * data may be RATCHET_MAX_PLAINTEXT_BYTES minus this.
 */
export const SESSION_PAYLOAD_FRAMING_BYTES = 1024

// ---------------------------------------------------------------------------
// Sessions: prekeys and PQXDH (docs/pqxdh.md)
// ---------------------------------------------------------------------------

/** Session id length: PQXDH derives it from the transcript; the ratchet and the stores key on it. */
export const SESSION_ID_LENGTH = 16
/** How often the signed X25519 prekey and the last-resort ML-KEM prekey are replaced (weekly, as Signal): bounds how long one leaked prekey secret matters. */
export const SIGNED_PREKEY_ROTATION_SECONDS = 7 * 24 * 3600
/** How long a replaced signed prekey is kept to answer first messages made from older bundles (mailbox delivery can take weeks). */
export const SIGNED_PREKEY_GRACE_SECONDS = 30 * 24 * 3600
/** Oldest signed prekey an initiator accepts in a bundle: rotation + grace (its owner has deleted older ones). */
export const SIGNED_PREKEY_MAX_AGE_SECONDS = SIGNED_PREKEY_ROTATION_SECONDS + SIGNED_PREKEY_GRACE_SECONDS
/** Clock difference tolerated between peers for prekey and first-message times. */
export const SESSION_CLOCK_SKEW_SECONDS = 300
/**
 * Oldest first message a responder answers, and so how long its replay-cache
 * entry must live (created + this + skew): a mailbox may hold it for weeks,
 * never longer than a replaced signed prekey is kept.
 */
export const FIRST_MESSAGE_MAX_AGE_SECONDS = SIGNED_PREKEY_GRACE_SECONDS
/** One-time prekeys (X25519 and ML-KEM each): replenish when fewer than this many are left unpublished. */
export const ONE_TIME_PREKEY_LOW_WATER = 25
/** One-time prekeys (X25519 and ML-KEM each): replenish up to this many unpublished (~1.3 KiB per ML-KEM record). */
export const ONE_TIME_PREKEY_TARGET = 100
/** Most prekey ids allocated, or one-time prekeys added, in one store call (bounds one replenish batch). */
export const PREKEY_MAX_BATCH = 1000
/** Highest prekey id: ids are 32-bit, allocated upward per family and kind and never reused; past it PREKEY_EXHAUSTED. */
export const PREKEY_MAX_ID = 0xffff_ffff
/** Largest encoded prekey record (an ML-KEM one is ~1.3 KiB: seed 64 + key 1,184 + framing; room to spare). */
export const PREKEY_RECORD_MAX_BYTES = 8 * 1024
/** Largest encoded prekey bundle (three hybrid signatures of 3,374 bytes, two ML-KEM keys of 1,184: ~14 KiB). */
export const PREKEY_BUNDLE_MAX_BYTES = 32 * 1024
/** Largest encoded PQXDH header (two KEM ciphertexts and one hybrid signature: ~5.8 KiB). */
export const PQXDH_HEADER_MAX_BYTES = 16 * 1024
/** Largest framed first message: the PQXDH header and the first ratchet message. */
export const FIRST_MESSAGE_MAX_BYTES = CODEC_MAX_INPUT_BYTES
/** Largest opaque session record a SessionStore accepts. */
export const SESSION_RECORD_MAX_BYTES = 1024 * 1024
/** Shortest replay-cache id (128 bits: ids are digests, collisions must stay negligible). */
export const REPLAY_ID_MIN_LENGTH = 16
/** Longest replay-cache id. */
export const REPLAY_ID_MAX_LENGTH = 64

// ---------------------------------------------------------------------------
// Sessions: double ratchet (docs/ratchet.md)
// ---------------------------------------------------------------------------

/** Version nibble of every ratchet message (the high four bits of its first byte). 2: KDF_CK is one SHAKE256 call (docs/ratchet.md). */
export const RATCHET_WIRE_VERSION = 2
/** Length of the session id the session layer hands to the ratchet (binds the initial KDF). */
export const RATCHET_SESSION_ID_LENGTH = 16
/** Length of the PQXDH shared secret the ratchet starts from. */
export const RATCHET_SHARED_SECRET_LENGTH = 32
/**
 * Longest associated data (version, suite, both DIDs, session id, as encoded
 * by the session layer): two DIDs of DID_MAX_LENGTH and a little more. It is
 * stored in the state and fed to every AEAD, so it is bounded.
 */
export const RATCHET_MAX_ASSOCIATED_DATA_BYTES = 2 * DID_MAX_LENGTH + 1024
/**
 * Most message keys skipped in one chain by one message (Signal's MAX_SKIP):
 * a message exactly this far ahead of the next expected one still decrypts,
 * one further is refused. Bounds the HMACs one hostile header can cost (a DH
 * step may skip this many in the old chain and again in the new one).
 */
export const RATCHET_MAX_SKIP = 1000
/**
 * Most skipped message keys stored over all receiving chains; beyond it the
 * oldest expire first (FIFO). Twice RATCHET_MAX_SKIP, so one step that skips
 * the most in both chains still fits. ~40 bytes each in the state.
 */
export const RATCHET_MAX_SKIPPED_KEYS = 2 * RATCHET_MAX_SKIP
/**
 * Closed receiving chains remembered (header key, ratchet key, length), as
 * libsignal's MAX_RECEIVER_CHAINS: a late message of one of them still finds
 * its skipped key, and a replayed or rolled-back one is told apart. It also
 * bounds the trial decryptions of one header (this + 2).
 */
export const RATCHET_MAX_RECEIVER_CHAINS = 5
/**
 * Most messages in one sending chain. The header key of a chain encrypts
 * every header of that chain with a random 96-bit nonce: at 2^16 messages the
 * collision chance is below 2^-64. Counters travel as 16-bit integers. A
 * sender that reaches it must wait for a reply (RATCHET_CHAIN_EXHAUSTED).
 */
export const RATCHET_MAX_CHAIN_LENGTH = 0xffff
/**
 * The sparse KEM schedule (docs/ratchet.md): a party's new sending chain is a
 * KEM step when it holds the peer's offered ML-KEM-768 key and this is at
 * least its this-many-th own DH step since its last KEM step. Trades the
 * quantum-PCS healing time (≤ interval + 1 round trips) against the amortized
 * wire cost (81 + 2,276 / interval bytes per message). Measured: 8 gave 365.5
 * bytes per ping-pong message (3.8× libsignal 0.103.0's 96.6), 24 gives 175.8
 * (1.82×), the smallest interval within the 2× goal with margin.
 */
export const RATCHET_KEM_INTERVAL = 24
/** Largest KEM interval a state may carry (a test option lowers it; a state claiming more is refused). */
export const RATCHET_MAX_KEM_INTERVAL = 1024
/** Largest plaintext of one ratchet message (files travel in chunks under their own key, DESIGN §7). */
export const RATCHET_MAX_PLAINTEXT_BYTES = 256 * 1024
/** Largest encoded ratchet state (2,000 skipped keys at ~40 bytes, an ML-KEM key, associated data). */
export const RATCHET_MAX_STATE_BYTES = 256 * 1024

// ---------------------------------------------------------------------------
// Network (DESIGN §5, §7): framing shared by every /parley/* protocol
// ---------------------------------------------------------------------------

/** Largest varint length prefix of a frame (bytes): 5 bytes encode up to 2^35 − 1, far above any frame limit. */
export const FRAME_MAX_LENGTH_PREFIX_BYTES = 5
/** Default largest frame on a Parley stream, checked against the length prefix before any allocation. */
export const FRAME_MAX_BYTES = 1024 * 1024
/** Bytes a stream may buffer unread before it is treated as a flood. */
export const STREAM_MAX_BUFFER_BYTES = 4 * 1024 * 1024
/** Time a peer has to send the next frame of a request before the stream is closed. */
export const FRAME_READ_TIMEOUT_MS = 10_000

// --- network: node (helper node) ---
/** Where a node listens when the caller names nothing: any IPv4 interface, a free port, TCP and WebSockets. */
export const NODE_DEFAULT_LISTEN_ADDRESSES: readonly string[] = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws']
/** Most listen addresses (direct and relay circuits) one node takes: a handful of interfaces and relays. */
export const NODE_MAX_LISTEN_ADDRESSES = 32
/** Most relays a personal node reserves a slot on (each reservation is a kept-alive connection). */
export const NODE_MAX_RELAYS = 8
/** Most bootstrap peers a node is configured with. */
export const NODE_MAX_BOOTSTRAP_PEERS = 64
/** Connections a personal node keeps before libp2p prunes (its contacts, a few relays, the DHT). */
export const NODE_MAX_CONNECTIONS = 128
/** Connections an infrastructure node (relay, mailbox, DHT server) keeps before pruning. */
export const NODE_INFRA_MAX_CONNECTIONS = 1024
/** Inbound connections one remote host may open per second before more are refused (libp2p's default). */
export const NODE_INBOUND_CONNECTION_THRESHOLD = 5
/** Inbound connections still in their upgrade (Noise, Yamux) at once on a personal node. */
export const NODE_MAX_INCOMING_PENDING_CONNECTIONS = 10
/** Inbound connections still in their upgrade at once on an infrastructure node (it serves many peers). */
export const NODE_INFRA_MAX_INCOMING_PENDING_CONNECTIONS = 64
/** Time a dial may take, DNS, socket and upgrade included. */
export const NODE_DIAL_TIMEOUT_MS = 10_000
/** Time an inbound connection has to finish its upgrade (Noise, Yamux) before it is closed. */
export const NODE_INBOUND_UPGRADE_TIMEOUT_MS = 10_000
/**
 * Kad-DHT protocol id: Parley runs its own DHT rather than joining the IPFS
 * one, so its routing tables hold Parley nodes only.
 */
export const NODE_DHT_PROTOCOL = '/parley/kad/1.0.0'
/** mDNS service name Parley nodes ask for and answer on the LAN (libp2p's default is `_p2p._udp.local`). */
export const NODE_MDNS_SERVICE_TAG = '_parley._udp.local'
/** How often a node repeats its mDNS query. */
export const NODE_MDNS_INTERVAL_MS = 10_000
/** Relay reservations an infrastructure node holds at once (each is a kept-alive connection). */
export const RELAY_MAX_RESERVATIONS = 256
/** Lifetime of a relay reservation before the client must refresh it (libp2p's default: 2 h). */
export const RELAY_RESERVATION_TTL_MS = 2 * 3600 * 1000
/**
 * Bytes one relayed connection may carry, both directions together, when its
 * ends have not passed Parley authentication (the circuit relay v2 default,
 * as go-libp2p: enough for a handshake and a DCUtR upgrade, not for traffic).
 */
export const RELAY_DEFAULT_DATA_LIMIT_BYTES = 128 * 1024
/** Lifetime of one relayed connection whose ends have not passed Parley authentication (the circuit relay v2 default). */
export const RELAY_DEFAULT_DURATION_LIMIT_MS = 2 * 60 * 1000
/** HOP streams (reserve/connect requests) a relay serves at once per connection. */
export const RELAY_MAX_INBOUND_HOP_STREAMS = 32
/** Time a client has to finish one HOP request on a relay. */
export const RELAY_HOP_TIMEOUT_MS = 30_000
/**
 * Most libp2p addresses announced in a KEL update (each update repeats the
 * whole service list, so a long list bloats every later KEL copy); as many
 * as an invite carries.
 */
export const NETWORK_ANNOUNCE_MAX_ADDRESSES = INVITE_MAX_ADDRESSES

// --- network: auth (helper auth) ---
/** Protocol id of connection authentication (DESIGN §5, src/network/auth.ts). */
export const AUTH_PROTOCOL_ID = '/parley/auth/1.0.0'
/** Fresh challenge each side of a handshake sends (256 bits: unguessable, never repeats). */
export const AUTH_CHALLENGE_LENGTH = 32
/** Time a whole handshake may take, both sides' work and two round trips included; past it AUTH_TIMEOUT. */
export const AUTH_HANDSHAKE_TIMEOUT_MS = 10_000
/**
 * Largest auth frame: the codec's input limit (1 MiB). A reply carries a KEL
 * (at most AUTH_MAX_INLINE_KEL_BYTES), a presentation (at most
 * AUTH_MAX_PRESENTATION_BYTES) and two hybrid signatures.
 */
export const AUTH_MAX_FRAME_BYTES = CODEC_MAX_INPUT_BYTES
/** Largest KEL sent inside the handshake (~70 events); a longer one is left out and the peer's `resolveKel` fetches it. */
export const AUTH_MAX_INLINE_KEL_BYTES = 512 * 1024
/** Largest encoded presentation in a handshake (the holder KEL in base64url and a few credentials with issuer KELs). */
export const AUTH_MAX_PRESENTATION_BYTES = 448 * 1024
/** Longest refusal reason text sent to the peer, in UTF-8 bytes (one line). */
export const AUTH_MAX_REASON_BYTES = 256
/** Auth streams one connection may have open at once, each direction (one handshake per role). */
export const AUTH_MAX_STREAMS_PER_CONNECTION = 1
/**
 * Handshakes in flight at once (outstanding challenges in the bounded
 * challenge book); past it a new attempt is AUTH_RATE_LIMITED. Each holds at
 * most two frames, so memory stays under 2 × this × AUTH_MAX_FRAME_BYTES.
 */
export const AUTH_MAX_PENDING_HANDSHAKES = 64
/** Auth attempts one remote peer id may start per minute (a responder signs for each: ML-DSA is not free). */
export const AUTH_ATTEMPTS_PER_PEER_PER_MINUTE = 10
/** Auth attempts one remote IP address may start per minute, all its peer ids together (peer ids are free to make). */
export const AUTH_ATTEMPTS_PER_IP_PER_MINUTE = 30
/** Keys (peer ids, IPs) each rate limiter remembers; past it the least recently used is forgotten. */
export const AUTH_RATE_LIMIT_MAX_KEYS = 4096
/** How long a peer that failed authentication is refused by the connection gater (no dial, no inbound connection). */
export const AUTH_REFUSED_PEER_TTL_MS = 5 * 60 * 1000
/** Refused peers the gater remembers; past it the oldest entry is forgotten first. */
export const AUTH_REFUSED_PEER_MAX_ENTRIES = 4096
/** Time a refusing side waits for the peer to read its Refusal frame and close, before closing the connection anyway. */
export const AUTH_CLOSE_GRACE_MS = 1_000

// --- network: messages (helper msg) ---
/** Protocol id of live message delivery (DESIGN §7, src/network/messaging.ts). */
export const MSG_PROTOCOL_ID = '/parley/msg/1.0.0'
/** Message id: 16 random bytes (a collision among one sender's messages is 2^-64-unlikely); 32 hex characters in the stores. */
export const MSG_ID_LENGTH = 16
/**
 * Largest envelope one message carries: above the largest session message
 * (SESSION_MESSAGE_MAX_BYTES, ~277 KiB: a PQXDH header and a full ratchet
 * message; a test checks it). Files travel in chunks on their own protocol.
 */
export const MSG_MAX_ENVELOPE_BYTES = 384 * 1024
/** Largest /parley/msg frame: one envelope and its CBOR framing (id, type, kind, version: under 100 bytes). */
export const MSG_MAX_FRAME_BYTES = MSG_MAX_ENVELOPE_BYTES + 1024
/** Messages a sender may have written and not yet seen acked on one stream; a receiver holding more refuses the stream (LIMIT_EXCEEDED). */
export const MSG_MAX_IN_FLIGHT = 32
/**
 * Frame bytes a sender may have written and not yet seen acked on one stream;
 * a receiver holding more refuses the stream (LIMIT_EXCEEDED). Below
 * STREAM_MAX_BUFFER_BYTES, so a receiver's read buffer never overflows.
 */
export const MSG_MAX_IN_FLIGHT_BYTES = 2 * 1024 * 1024
/** /parley/msg streams one connection may carry at once, each direction (a sender uses one per peer). */
export const MSG_MAX_STREAMS_PER_CONNECTION = 4
/** Time a sender waits for the next ack while messages are in flight before it gives the stream up (deliver() is a store commit: it may be slow). */
export const MSG_ACK_TIMEOUT_MS = 30_000
/** Time a receiver keeps a stream open with nothing unread and nothing to ack. */
export const MSG_STREAM_IDLE_TIMEOUT_MS = 60_000
/**
 * Time a sender keeps its idle stream for the next message: well under
 * MSG_STREAM_IDLE_TIMEOUT_MS, so the sender closes first and never writes
 * into a stream the receiver is closing.
 */
export const MSG_STREAM_LINGER_MS = 10_000
/** Time one attempt may take to reach a peer: resolve, dial, authenticate, open the stream. */
export const MSG_CONNECT_TIMEOUT_MS = 20_000
/** First retry delay. Backoff is exponential with equal jitter: for a delay d the wait is drawn from [d/2, d]. */
export const MSG_RETRY_BASE_MS = 1_000
/** Longest retry delay (the doubling stops here). */
export const MSG_RETRY_MAX_MS = 5 * 60 * 1000
/**
 * Attempts at one message that reached the peer and were not acked (a
 * receiver that cannot commit it, a connection lost before the ack) before
 * it is given up (MSG_RETRIES_EXHAUSTED). Not reaching the peer at all uses
 * none: such messages wait, with backoff, until they expire.
 */
export const MSG_MAX_ATTEMPTS = 10
/** Time a message waits in the outbox for its ack before it is given up (MSG_EXPIRED); longer absences are the mailbox's job. */
export const MSG_OUTBOX_TTL_MS = 7 * 24 * 3600 * 1000
/** Messages one peer may have pending in the outbox; past it send() is LIMIT_EXCEEDED. */
export const MSG_MAX_PENDING_PER_PEER = 10_000
/** Time a receiver remembers a committed message id, to ack a resent copy without delivering it again: the sender's whole retry window and a day of clock difference. */
export const MSG_DEDUPE_TTL_MS = MSG_OUTBOX_TTL_MS + 24 * 3600 * 1000
/** How often the messaging service prunes expired dedupe records. */
export const MSG_DEDUPE_PRUNE_INTERVAL_MS = 3600 * 1000
/**
 * Ids the in-memory dedupe store holds; past it the oldest is forgotten. A
 * resent copy of a forgotten id reaches deliver() again, where the ratchet
 * refuses it as a duplicate, which the receiver acks.
 */
export const MSG_MEMORY_DEDUPE_MAX_ENTRIES = 100_000
/** Entries the in-memory outbox holds; past it put() is LIMIT_EXCEEDED. */
export const MSG_MEMORY_OUTBOX_MAX_ENTRIES = 100_000
/** Envelope bytes the in-memory outbox holds; past it put() is LIMIT_EXCEEDED. */
export const MSG_MEMORY_OUTBOX_MAX_BYTES = 256 * 1024 * 1024
/** Messages per second one peer gets delivered, sustained: a token bucket; past it the receiver reads that peer more slowly, nothing is refused. */
export const MSG_PEER_RATE_PER_SECOND = 100
/** Messages one peer gets delivered in a burst before MSG_PEER_RATE_PER_SECOND applies. */
export const MSG_PEER_RATE_BURST = 500
/** Peers whose rate buckets are kept; past it full buckets are forgotten first (a full bucket is the state of a peer never seen). */
export const MSG_RATE_MAX_PEERS = 4096
/** Time a refusing receiver waits for the sender to read its error frame and close before it aborts the stream. */
export const MSG_CLOSE_GRACE_MS = 1_000

// --- network: files (helper blob) ---
/** Transfer id of a file offer: 16 random bytes (a collision among one peer's offers is 2^-64-unlikely). */
export const BLOB_TRANSFER_ID_LENGTH = 16
/** Per-file key: a fresh AES-256-GCM key sent inside the ratchet (DESIGN §7). */
export const BLOB_FILE_KEY_LENGTH = 32
/**
 * STREAM nonce prefix (Hoang–Reyhanitabar–Rogaway–Vizár 2015, §7): the 12-byte
 * GCM nonce is prefix (7) ‖ uint32 chunk counter (4) ‖ last-chunk flag (1).
 */
export const BLOB_NONCE_PREFIX_LENGTH = 7
/** Most chunks in one file: the width of the STREAM counter (uint32). */
export const BLOB_MAX_CHUNKS = 2 ** 32
/** Longest file name in an offer, in UTF-8 bytes (the common file-system limit of one path component). */
export const BLOB_MAX_NAME_BYTES = 255
/** Largest file offered: 64 TiB, far beyond any one transfer, and byte offsets stay safe integers. */
export const BLOB_MAX_FILE_BYTES = 2 ** 46
/** Smallest chunk an offer may ask for (bounds the per-byte AEAD and framing work a sender can force). */
export const BLOB_MIN_CHUNK_BYTES = 1024
/** Largest chunk: a sealed chunk (plus tag and frame type) fits one frame (FRAME_MAX_BYTES) with room to spare. */
export const BLOB_MAX_CHUNK_BYTES = 512 * 1024
/** Chunk size of new offers: large enough that per-chunk costs vanish, small enough to resume cheaply. */
export const BLOB_DEFAULT_CHUNK_BYTES = 128 * 1024
/**
 * Read-side flow control: the receiver grants chunks as it writes them, and
 * never more than this many bytes of chunks are outstanding; its read buffer
 * is sized to hold them all, so it never overflows, whatever the sender does.
 * Large enough that the sender does not wait for credit while the receiver
 * keeps up (2 MiB left the sender idle most of the time on loopback).
 */
export const BLOB_CREDIT_WINDOW_BYTES = 8 * 1024 * 1024
/** Fewest chunks in flight whatever the chunk size (keeps the pipe busy with the largest chunks). */
export const BLOB_MIN_CREDIT_CHUNKS = 2
/** Largest control frame of /parley/blob/1.0.0 (request, credit, cancel, error, done). */
export const BLOB_CONTROL_MAX_BYTES = 1024
/** Time without a frame (a chunk, a credit grant, the final verdict) before a transfer stream is given up. */
export const BLOB_IDLE_TIMEOUT_MS = 30_000
/** Transfers one service runs at once in each direction (receiving; serving); more are refused with LIMIT_EXCEEDED. */
export const BLOB_MAX_CONCURRENT_TRANSFERS = 8
/** The receiver fsyncs its .part file and records its progress at least every this many bytes. */
export const BLOB_SYNC_INTERVAL_BYTES = 16 * 1024 * 1024
/** Least time between two progress events of one transfer (the last one always fires). */
export const BLOB_PROGRESS_INTERVAL_MS = 250
/** Largest receiver progress file (`<dest>.parley-transfer`). */
export const BLOB_STATE_MAX_BYTES = 1024
/** Largest encoded outgoing-transfer record (offer, recipient, source path). */
export const BLOB_RECORD_MAX_BYTES = 8 * 1024
/** Longest source path recorded for an outgoing transfer, in UTF-8 bytes. */
export const BLOB_MAX_PATH_BYTES = 4096
/** Time a best-effort cancel notice (receiver cancelling while not connected) may take. */
export const BLOB_CANCEL_NOTICE_TIMEOUT_MS = 5_000

// --- crypto: performance (helper A) ---
/**
 * Bytes the native backend draws from the OS CSPRNG at once for short
 * requests (node's randomFillSync costs ~7 µs a call, whatever its size).
 */
export const RANDOM_POOL_BYTES = 4096
/**
 * Longest request the native backend serves from that pool: an AES-GCM nonce
 * (AES_GCM_NONCE_LENGTH). Every key, seed, token and id of Parley is at least
 * 16 bytes and is drawn fresh, so the pool only ever holds future nonces,
 * which go on the wire in clear (docs/crypto.md, "Randomness").
 */
export const RANDOM_POOL_MAX_REQUEST = 12

// --- db (helper E) ---
/** File name of the encrypted local database inside a home (DESIGN §8). */
export const DB_FILE_NAME = 'parley.db'
/**
 * Time SQLite waits for a lock held by another connection before the open
 * fails with STORE_LOCKED. The database is held in exclusive locking mode by
 * one process (a second one is refused by the home lock first), so a short
 * wait only absorbs a closing predecessor.
 */
export const DB_BUSY_TIMEOUT_MS = 250
/** Largest plaintext of one sealed row: a contact with a full KEL, plus its other fields. */
export const DB_ROW_MAX_BYTES = KEL_MAX_BYTES + 64 * 1024
/** Rows read per batch while re-sealing a table (key rotation, migrations): bounds memory, not the transaction. */
export const DB_RESEAL_BATCH_ROWS = 256
/** Longest issued-invite token the invite store takes (tokens are INVITE_TOKEN_LENGTH bytes). */
export const DB_INVITE_TOKEN_MAX_LENGTH = 64
/** Longest contact alias (characters after NFC normalisation). */
export const CONTACT_ALIAS_MAX_LENGTH = 64
/** Most contacts one home keeps (list() decrypts them all; a personal address book is far smaller). */
export const CONTACTS_MAX = 10_000
/** Most credential types remembered for one contact. */
export const CONTACT_MAX_CREDENTIAL_TYPES = 32
/** Longest credential type name of a contact (a VC type or URI). */
export const CONTACT_CREDENTIAL_TYPE_MAX_BYTES = 256
/** Largest message body kept in the history: one ratchet plaintext (a file message keeps its reference, not the file). */
export const HISTORY_BODY_MAX_BYTES = RATCHET_MAX_PLAINTEXT_BYTES
/** Entries one history page returns when the caller names no limit. */
export const HISTORY_PAGE_DEFAULT = 50
/** Most entries one history page returns. */
export const HISTORY_PAGE_MAX = 1000
/** Attempts to take a home lock (each retry follows a stale lock's removal or another taker's). */
export const LOCK_ACQUIRE_ATTEMPTS = 5
/** Pause between two attempts to take a home lock (ms; multiplied by the attempt number). */
export const LOCK_RETRY_DELAY_MS = 20

// --- storage (product helper) ---
/** Lookup HMACs kept (the peer's and the recent message ids' values, asked for several times per message). */
export const DB_LOOKUP_CACHE_ENTRIES = 4096
/** Contacts kept decrypted by the contact store for reads outside a transaction (a send looks its contact up every time). */
export const DB_CONTACT_CACHE_ENTRIES = 256
/** Peers whose active session id the session store keeps in memory (read at every message). */
export const DB_ACTIVE_SESSION_CACHE_ENTRIES = 1024
/** Session records the session store keeps decrypted (written through; each is one ratchet state, a few KiB). */
export const DB_SESSION_CACHE_ENTRIES = 64
/**
 * How long the agent's outbox keeps acks (deleted entries, history 'delivered') in memory for the
 * next send's commit to carry, before it commits them by themselves (ms). Losing them costs a
 * resend the peer acks again, never a message.
 */
export const OUTBOX_ACK_FLUSH_DELAY_MS = 50
/** Acks waiting that make the outbox commit them at once. */
export const OUTBOX_ACK_FLUSH_MAX = 256
/**
 * Most inbound messages of one peer a /parley/msg receiver delivers in one
 * commit (group commit: one transaction, one fsync, then all their acks).
 * At most the sender's window (MSG_MAX_IN_FLIGHT) is ever waiting.
 */
export const MSG_COMMIT_BATCH_MAX = 32
/** Most sends the agent commits together (group commit: the sends that wait while one commits share the next transaction). */
export const AGENT_SEND_BATCH_MAX = 32

// --- cli (helper F) ---
/** File name of the daemon's local socket inside the home (0600 inside the 0700 home). */
export const DAEMON_SOCKET_NAME = 'daemon.sock'
/** Mode of the daemon's socket: only the home's owner may connect (the home itself is HOME_DIR_MODE). */
export const DAEMON_SOCKET_MODE = 0o600
/**
 * Longest line of the daemon's JSON-lines RPC, either direction, checked
 * before the line is kept whole: a full invite (INVITE_FULL_MAX_BYTES) in
 * base64url with room for JSON around it.
 */
export const DAEMON_RPC_MAX_LINE_BYTES = 2 * INVITE_FULL_MAX_BYTES
/** Deepest JSON nesting of one RPC request (params are flat objects; events nest a little). */
export const DAEMON_RPC_MAX_JSON_DEPTH = 8
/** Longest string request id. */
export const DAEMON_RPC_MAX_ID_LENGTH = 64
/** Clients connected to one daemon at once; more get RPC_BUSY and are closed. */
export const DAEMON_MAX_CLIENTS = 32
/** Requests one client may have in progress at once; more get RPC_BUSY. */
export const DAEMON_RPC_MAX_IN_FLIGHT = 16
/** Bytes of unsent output a client may let pile up (a subscriber that stops reading) before it is disconnected. */
export const DAEMON_RPC_MAX_BACKLOG_BYTES = DAEMON_RPC_MAX_LINE_BYTES + 4 * 1024 * 1024
/** Time a command waits for the daemon's socket to answer before running the agent in-process. */
export const DAEMON_CONNECT_TIMEOUT_MS = 3_000
/** How long `parley send` waits for a delivery receipt before it reports the message as queued. */
export const CLI_SEND_WAIT_MS = 30_000
/** Messages `parley chat` loads from the history at start and keeps on screen (older ones scroll away). */
export const CHAT_MAX_MESSAGES = 500
/** File name of the agent configuration inside the home (trust, credentials, default addresses). */
export const AGENT_CONFIG_FILE = 'agent.json'
/** Largest agent configuration file. */
export const AGENT_CONFIG_MAX_BYTES = 1024 * 1024
/** Folder of the home holding the credential files this agent presents. */
export const AGENT_CREDENTIALS_DIR = 'credentials'
/** Most credential files one agent presents (each is at most VC_MAX_CONTAINER_BYTES). */
export const AGENT_MAX_CREDENTIALS = 16
/** Most trusted issuers in an agent configuration (a trust policy's own limit). */
export const AGENT_MAX_TRUSTED_ISSUERS = TRUST_POLICY_MAX_ENTRIES
/** Most credential types trusted per issuer. */
export const AGENT_MAX_TYPES_PER_ISSUER = 32
/** Longest daemon socket path, in bytes: sun_path holds 104 bytes on macOS and 108 on Linux, the terminating NUL included. */
export const DAEMON_SOCKET_PATH_MAX_BYTES = 103

// --- agent (lead) ---
/** Largest text of one chat message (UTF-8 bytes); files travel as offers and chunks. */
export const AGENT_TEXT_MAX_BYTES = 64 * 1024
/** How long `send(…, { wait: true })` waits for the ack before answering with the state it reached. */
export const AGENT_SEND_WAIT_MS = 10_000
/** Largest inviter response of /parley/invite/1.0.0 (a KEL and a bundle). */
export const AGENT_INVITE_FETCH_MAX_BYTES = 512 * 1024
/** Served compact invites kept at most (older ones are dropped first). */
export const AGENT_MAX_SERVED_INVITES = 256

// --- demo and e2e (helper H) ---
/** How often a node checks, before authenticating to its relay, that its KEL lists its peer id yet (a fresh agent announces it just after start). */
export const RELAY_CLIENT_AUTH_RETRY_MS = 250
/** Checks before a node gives up authenticating to a relay on this connection (its circuits then keep the default limits). */
export const RELAY_CLIENT_AUTH_MAX_ATTEMPTS = 40
/** How long `parley daemon --relay` waits for its relay reservations and relay authentication before printing its ready line anyway. */
export const DAEMON_RELAY_READY_TIMEOUT_MS = 15_000
