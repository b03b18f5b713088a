import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ParleyError } from '../src/errors.js'
test('x', () => { assert.equal(new ParleyError('INTERNAL','x').code, 'INTERNAL') })
