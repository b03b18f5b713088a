/**
 * The agent's configuration in its home (`home/agent.json`, 0600): which
 * credential issuers it trusts (each with the credential types trusted from
 * it), which credential files it presents (copied into `home/credentials/`),
 * and the default listen and relay addresses of its node. The CLI writes it
 * (`parley trust …`, `parley vc import`, `parley daemon --save`); the agent
 * reads it at start and turns it into the trust policy of connection
 * authentication with `trustPolicyFromConfig`.
 *
 * The file is public data (issuer DIDs, addresses, credentials the agent
 * shows to every peer anyway) but is written 0600 like everything in the
 * home, atomically, and parsed strictly: a damaged file is STORE_CORRUPT,
 * never a silently emptier policy. Writers take a small lock of their own
 * (`agent.lock`), since the home's lock is held by a running daemon.
 */
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { ParleyError } from '../errors.js'
import {
  AGENT_CONFIG_FILE,
  AGENT_CONFIG_MAX_BYTES,
  AGENT_CREDENTIALS_DIR,
  AGENT_MAX_CREDENTIALS,
  AGENT_MAX_TRUSTED_ISSUERS,
  AGENT_MAX_TYPES_PER_ISSUER,
  NODE_MAX_LISTEN_ADDRESSES,
  NODE_MAX_RELAYS,
  VC_MAX_CONTAINER_BYTES,
} from '../constants.js'
import { acquireLock, ensurePrivateDir, exists, readBounded, writeAtomic } from '../storage/files.js'
import { isDid } from '../identity/did-key.js'
import { isJsonObject, parseStrictJson } from '../codec/json.js'
import { parseCredentialContainer, validateTrustPolicy, VERIFIED_HUMAN_TYPE } from '../credentials/index.js'
import type { CredentialContainer, TrustPolicy } from '../credentials/index.js'

/** An issuer whose credentials of `types` this agent accepts from peers. */
export interface TrustedIssuer {
  did: string
  /** Exact credential types, e.g. `VerifiedHumanCredential`. */
  types: string[]
}

export interface AgentConfig {
  trustedIssuers: TrustedIssuer[]
  /** File names (inside `home/credentials/`) of the credentials this agent presents. */
  credentials: string[]
  /** Default listen multiaddrs (empty: the node's defaults). */
  listen: string[]
  /** Default relays to reserve a slot on. */
  relays: string[]
  /** Refuse credentials without the ML-DSA-65 co-signature. */
  requirePq: boolean
  /** Refuse credentials issued longer ago than this. */
  maxCredentialAgeSeconds?: number
}

/** The configuration of a home that has none. */
export function defaultAgentConfig(): AgentConfig {
  return { trustedIssuers: [], credentials: [], listen: [], relays: [], requirePq: false }
}

export function agentConfigPath(homeDir: string): string {
  return join(homeDir, AGENT_CONFIG_FILE)
}

export function credentialsDir(homeDir: string): string {
  return join(homeDir, AGENT_CREDENTIALS_DIR)
}

const TYPE_RE = /^[A-Za-z0-9._:/#-]{1,256}$/
const CREDENTIAL_FILE_RE = /^[0-9a-f]{32}\.vc$/
const MAX_ADDRESS_LENGTH = 1024

function corrupt(message: string): ParleyError {
  return new ParleyError('STORE_CORRUPT', `agent configuration: ${message}`)
}

function stringArray(value: unknown, name: string, max: number, check: (s: string) => boolean, fail: (m: string) => ParleyError): string[] {
  if (!Array.isArray(value)) throw fail(`${name} must be an array`)
  if (value.length > max) throw fail(`${name} has more than ${max} entries`)
  const out: string[] = []
  for (const item of value) {
    if (typeof item !== 'string' || !check(item)) throw fail(`${name} has an invalid entry`)
    if (out.includes(item)) throw fail(`${name} lists "${item}" twice`)
    out.push(item)
  }
  return out
}

/** True for a credential type name a configuration may hold (not the catch-all `VerifiableCredential`). */
export function isCredentialTypeName(type: string): boolean {
  return TYPE_RE.test(type) && type !== 'VerifiableCredential'
}

/**
 * Checks a configuration (from the file or from code); `fail` makes the
 * error (STORE_CORRUPT for the file, INVALID_ARGUMENT for a caller's value).
 */
export function validateAgentConfig(value: unknown, fail: (m: string) => ParleyError = corrupt): AgentConfig {
  if (!isJsonObject(value)) throw fail('expected an object')
  const v: Record<string, unknown> = value
  const known = ['trustedIssuers', 'credentials', 'listen', 'relays', 'requirePq', 'maxCredentialAgeSeconds']
  for (const key of Object.keys(v)) if (!known.includes(key)) throw fail(`unknown member "${key}"`)
  const issuersRaw = v['trustedIssuers'] ?? []
  if (!Array.isArray(issuersRaw)) throw fail('trustedIssuers must be an array')
  if (issuersRaw.length > AGENT_MAX_TRUSTED_ISSUERS) throw fail(`more than ${AGENT_MAX_TRUSTED_ISSUERS} trusted issuers`)
  const trustedIssuers: TrustedIssuer[] = []
  for (const item of issuersRaw) {
    if (!isJsonObject(item)) throw fail('a trusted issuer must be an object')
    for (const key of Object.keys(item)) if (key !== 'did' && key !== 'types') throw fail(`unknown member "${key}" of a trusted issuer`)
    const did = item['did']
    if (typeof did !== 'string' || !isDid(did)) throw fail('a trusted issuer has an invalid DID')
    if (trustedIssuers.some((t) => t.did === did)) throw fail(`the issuer ${did} is listed twice`)
    const types = stringArray(item['types'], 'types', AGENT_MAX_TYPES_PER_ISSUER, isCredentialTypeName, fail)
    if (types.length === 0) throw fail(`the issuer ${did} has no credential type`)
    trustedIssuers.push({ did, types })
  }
  const config: AgentConfig = {
    trustedIssuers,
    credentials: stringArray(v['credentials'] ?? [], 'credentials', AGENT_MAX_CREDENTIALS, (s) => CREDENTIAL_FILE_RE.test(s), fail),
    listen: stringArray(v['listen'] ?? [], 'listen', NODE_MAX_LISTEN_ADDRESSES, isAddressText, fail),
    relays: stringArray(v['relays'] ?? [], 'relays', NODE_MAX_RELAYS, isAddressText, fail),
    requirePq: false,
  }
  const pq = v['requirePq'] ?? false
  if (typeof pq !== 'boolean') throw fail('requirePq must be a boolean')
  config.requirePq = pq
  const age = v['maxCredentialAgeSeconds']
  if (age !== undefined) {
    if (typeof age !== 'number' || !Number.isSafeInteger(age) || age <= 0) throw fail('maxCredentialAgeSeconds must be a positive integer')
    config.maxCredentialAgeSeconds = age
  }
  return config
}

/** A multiaddr as text: starts with `/`, printable ASCII, bounded (the node parses it for real). */
function isAddressText(s: string): boolean {
  return s.length > 1 && s.length <= MAX_ADDRESS_LENGTH && s.startsWith('/') && /^[\x21-\x7e]+$/.test(s)
}

/**
 * The configuration of the home `homeDir` (the default one when there is
 * no file). STORE_CORRUPT when the file is damaged.
 *
 * @example
 * const config = await readAgentConfig('/home/me/.parley')
 * const policy = trustPolicyFromConfig(config)
 */
export async function readAgentConfig(homeDir: string): Promise<AgentConfig> {
  const path = agentConfigPath(homeDir)
  if (!(await exists(path))) return defaultAgentConfig()
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readBounded(path, AGENT_CONFIG_MAX_BYTES))
  } catch (err) {
    if (err instanceof ParleyError && err.code !== 'DECODE_TOO_LARGE') throw err
    throw corrupt(`${path} is not UTF-8 text of at most ${AGENT_CONFIG_MAX_BYTES} bytes`)
  }
  return validateAgentConfig(parseStrictJson(text, { maxLength: AGENT_CONFIG_MAX_BYTES, maxDepth: 4, code: 'STORE_CORRUPT', what: 'agent configuration' }))
}

/** Writes the configuration atomically (0600), after checking it. */
export async function writeAgentConfig(homeDir: string, config: AgentConfig): Promise<void> {
  const checked = validateAgentConfig(config, (m) => new ParleyError('INVALID_ARGUMENT', `agent configuration: ${m}`))
  await ensurePrivateDir(homeDir)
  await writeAtomic(agentConfigPath(homeDir), JSON.stringify(checked, null, 2) + '\n')
}

/**
 * Read-modify-write under the configuration's own lock (`agent.lock`), so
 * two commands never lose each other's change. Returns the new configuration.
 *
 * @example
 * await updateAgentConfig(home, (c) => addTrustedIssuer(c, 'did:parley:…', ['VerifiedHumanCredential']))
 */
export async function updateAgentConfig(homeDir: string, change: (config: AgentConfig) => AgentConfig | Promise<AgentConfig>): Promise<AgentConfig> {
  await ensurePrivateDir(homeDir)
  const lock = await acquireLock(join(homeDir, 'agent.lock'))
  try {
    const next = await change(await readAgentConfig(homeDir))
    await writeAgentConfig(homeDir, next)
    return next
  } finally {
    await lock.release()
  }
}

function invalid(message: string): ParleyError {
  return new ParleyError('INVALID_ARGUMENT', message)
}

/** The configuration with `did` trusted for `types` (replacing the types it had). */
export function addTrustedIssuer(config: AgentConfig, did: string, types: readonly string[]): AgentConfig {
  if (!isDid(did)) throw invalid(`not a DID: "${did}"`)
  if (types.length === 0) throw invalid('name at least one credential type')
  const unique = [...new Set(types)]
  for (const t of unique) if (!isCredentialTypeName(t)) throw invalid(`not an acceptable credential type: "${t}"`)
  if (unique.length > AGENT_MAX_TYPES_PER_ISSUER) throw invalid(`at most ${AGENT_MAX_TYPES_PER_ISSUER} types per issuer`)
  const others = config.trustedIssuers.filter((t) => t.did !== did)
  if (others.length >= AGENT_MAX_TRUSTED_ISSUERS) throw invalid(`at most ${AGENT_MAX_TRUSTED_ISSUERS} trusted issuers`)
  return { ...config, trustedIssuers: [...others, { did, types: unique }] }
}

/** The configuration without `did`; STORE_NOT_FOUND when it was not trusted. */
export function removeTrustedIssuer(config: AgentConfig, did: string): AgentConfig {
  if (!config.trustedIssuers.some((t) => t.did === did)) throw new ParleyError('STORE_NOT_FOUND', `${did} is not a trusted issuer`)
  return { ...config, trustedIssuers: config.trustedIssuers.filter((t) => t.did !== did) }
}

/** With no trusted issuer configured, credentials are not required (issue 5). */
export function credentialsRequired(config: AgentConfig): boolean {
  return config.trustedIssuers.length > 0
}

/**
 * The trust policy of connection authentication: the configured issuers and
 * the union of their types. A TrustPolicy pairs no type with an issuer, so
 * an issuer trusted for one type is accepted for every type trusted from
 * any issuer. With no issuer, the policy accepts no credential and
 * `credentialsRequired` is false: peers are authenticated by their DID alone.
 *
 * @example
 * const policy = trustPolicyFromConfig(await readAgentConfig(home))
 * const handshake = { trust: policy, requireCredential: credentialsRequired(config), … }
 */
export function trustPolicyFromConfig(config: AgentConfig): TrustPolicy {
  const types = [...new Set(config.trustedIssuers.flatMap((t) => t.types))]
  return validateTrustPolicy({
    trustedIssuers: config.trustedIssuers.map((t) => t.did),
    acceptedTypes: types.length > 0 ? types : [VERIFIED_HUMAN_TYPE],
    requirePq: config.requirePq,
    ...(config.maxCredentialAgeSeconds !== undefined ? { maxAgeSeconds: config.maxCredentialAgeSeconds } : {}),
  })
}

/**
 * Copies a credential file's text into `home/credentials/` (named after its
 * digest, 0600) and lists it in the configuration; returns the file name.
 * The caller verified it (signature, subject) first. Importing the same
 * credential twice is a no-op.
 */
export async function importCredentialText(homeDir: string, text: string): Promise<string> {
  parseCredentialContainer(text) // strict shape check: VC_MALFORMED
  const name = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32) + '.vc'
  await updateAgentConfig(homeDir, async (config) => {
    if (config.credentials.includes(name)) return config
    if (config.credentials.length >= AGENT_MAX_CREDENTIALS) throw new ParleyError('LIMIT_EXCEEDED', `at most ${AGENT_MAX_CREDENTIALS} credentials`)
    await ensurePrivateDir(credentialsDir(homeDir))
    await writeAtomic(join(credentialsDir(homeDir), name), text)
    return { ...config, credentials: [...config.credentials, name] }
  })
  return name
}

/** The credentials this agent presents, read and parsed (VC_MALFORMED / STORE_NOT_FOUND for a damaged or missing file). */
export async function loadCredentials(homeDir: string, config: AgentConfig): Promise<CredentialContainer[]> {
  const out: CredentialContainer[] = []
  for (const name of config.credentials) {
    const bytes = await readBounded(join(credentialsDir(homeDir), name), VC_MAX_CONTAINER_BYTES)
    out.push(parseCredentialContainer(bytes))
  }
  return out
}
