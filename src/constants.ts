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

// --- network: auth (helper auth) ---

// --- network: messages (helper msg) ---

// --- network: files (helper blob) ---
