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
  /** Per-record sealing of secrets at rest. */
  keystoreRecord: 'parley/v1/keystore-record',
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

// ---------------------------------------------------------------------------
// Codec limits (strict CBOR decoding)
// ---------------------------------------------------------------------------

/** Largest single encoded structure we decode (1 MiB): KELs and credentials are far smaller. */
export const CODEC_MAX_INPUT_BYTES = 1024 * 1024
/** Deepest nesting of arrays/maps accepted. */
export const CODEC_MAX_DEPTH = 16
/** Most items in one array or entries in one map. */
export const CODEC_MAX_ITEMS = 4096

// ---------------------------------------------------------------------------
// Identity limits
// ---------------------------------------------------------------------------

/** Most events in one KEL we will verify (bounds work for a hostile log). */
export const KEL_MAX_EVENTS = 10_000
/** Most signing keys in one establishment event. */
export const KEL_MAX_KEYS = 8
/** Most services listed in one event. */
export const KEL_MAX_SERVICES = 32
/** Longest service id/type/endpoint string. */
export const KEL_MAX_SERVICE_FIELD_LENGTH = 512
/** Most members in a group. */
export const GROUP_MAX_MEMBERS = 1024
/** Longest human-readable name (identity or group). */
export const MAX_NAME_LENGTH = 128

// ---------------------------------------------------------------------------
// Credential limits
// ---------------------------------------------------------------------------

/** Largest VC-JWT or VP-JWT we parse. */
export const VC_MAX_JWT_LENGTH = 64 * 1024
/** Allowed clock skew when checking nbf/exp/iat, in seconds. */
export const VC_CLOCK_SKEW_SECONDS = 60
/** Default lifetime of a presentation, in seconds. */
export const VP_DEFAULT_LIFETIME_SECONDS = 300

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/** Largest file (KEL export, credential, key file) the CLI reads. */
export const MAX_INPUT_FILE_BYTES = 4 * 1024 * 1024
/** Mode of every file holding secrets. */
export const SECRET_FILE_MODE = 0o600
/** Mode of the home directory. */
export const HOME_DIR_MODE = 0o700
