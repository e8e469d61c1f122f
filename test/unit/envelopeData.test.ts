import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelopeData, rawMember } from '../../lib/proxy/envelopeData.js';

describe('envelopeData', () => {
  it('keeps JSON as written: integers above 2^53, formatting, escapes', () => {
    const json = '{"url":"/x","data":{"id": 12345678901234567890, "s":"a\\"}b"},"method":"POST"}';
    expect(envelopeData(json)).toEqual({ kind: 'json', text: '{"id": 12345678901234567890, "s":"a\\"}b"}' });
    expect(envelopeData('{"data":12345678901234567890}')).toEqual({ kind: 'json', text: '12345678901234567890' });
    expect(envelopeData('{"data":[1,[2,{"a":"]"}]] }')).toEqual({ kind: 'json', text: '[1,[2,{"a":"]"}]]' });
  });

  it('sends a string as its content (a form or XML body), and nothing for null or absent', () => {
    expect(envelopeData('{"data":"a=1&b=\\u00e9"}')).toEqual({ kind: 'text', text: 'a=1&b=é' });
    expect(envelopeData('{"data":null}')).toBeUndefined();
    expect(envelopeData('{"url":"/x"}')).toBeUndefined();
  });

  it('takes the last of repeated keys, as JSON.parse does, and ignores nested ones', () => {
    expect(rawMember('{"data":1,"data":2}', 'data')).toBe('2');
    expect(rawMember('{"x":{"data":1}}', 'data')).toBeUndefined();
    expect(rawMember('{"d\\u0061ta":3}', 'data')).toBe('3');
  });

  it('finds exactly the value JSON.parse finds (property)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
        fc.boolean(),
        (data, others, pretty) => {
          const json = JSON.stringify({ ...others, data }, null, pretty ? 2 : undefined);
          const raw = rawMember(json, 'data');
          expect(raw).toBeDefined();
          expect(JSON.parse(raw!)).toEqual(JSON.parse(json).data);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
