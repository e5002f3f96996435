import { describe, expect, it } from 'vitest';
import { cardValid, findRedactions, ibanValid, luhnValid, redact, redactDeep } from '../../src/shared/redact.js';

/**
 * Focused cases: each example of issue 18 (missed and wrongly redacted), plus the API's contract (typed placeholders,
 * counts, nested values). The measured figures come from the hand-written corpus (redact-corpus.test.ts).
 */
const kinds = (text: string) => findRedactions(text).map((s) => [s.kind, text.slice(s.start, s.end)]);

describe('redaction: what the independent corpus missed', () => {
  it.each([
    ['+33 1 42 68 53 00'],
    ['+61 2 9374 4000'],
    ['+81 3-1234-5678'],
    ['07700 900123'],
    ['+91 98765 43210'],
    ['06 12 34 56 78'],
    ['0049-30-901820'],
    ['4155550123'],
    ['(415) 555-0132'],
  ])('finds the phone number %s', (phone) => {
    expect(kinds(`you can call me on ${phone} tomorrow`)).toEqual([['PHONE', phone]]);
  });

  it('finds IBANs in lower case, with and without spaces, and checks them', () => {
    expect(kinds('iban de89370400440532013000 please')).toEqual([['IBAN', 'de89370400440532013000']]);
    expect(kinds('IBAN: gb29 nwbk 6016 1331 9268 19.')).toEqual([['IBAN', 'gb29 nwbk 6016 1331 9268 19']]);
    expect(kinds('iban de89370400440532013001')).toEqual([]);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE89 3704 0044 0532 0130 01')).toBe(false);
  });

  it('finds AWS secret access keys (with / and +), ASIA session keys and passwords with symbols', () => {
    expect(redact('aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Lk+3Tp9').text).toBe('aws_secret_access_key=[API_KEY]');
    expect(redact('temporary key ASIAY34FZKBOKMUTVV7A').text).toBe('temporary key [API_KEY]');
    expect(redact('password: "P@ss w0rd!"').text).toBe('password: "[API_KEY]"');
    expect(redact('my password is Tr0ub4dor&3').text).toBe('my password is [API_KEY]');
    expect(redact('pwd=c0rrect-h0rse$battery!').text).toBe('pwd=[API_KEY]');
  });

  it.each([
    ['500 W 5th St'],
    ['1 Infinite Loop'],
    ['2500 Broadway'],
    ['12 rue de la Paix, 75002 Paris'],
    ['Hauptstraße 5, 10115 Berlin'],
    ['Calle de Alcalá 45, 28014 Madrid'],
    ['Via Garibaldi, 23, 20121 Milano'],
    ['Keizersgracht 123, 1015 CJ Amsterdam'],
  ])('finds the address %s', (address) => {
    expect(kinds(`please ship it to ${address} next week`)).toEqual([['ADDRESS', address]]);
  });

  it('finds UK postcodes and US social security numbers, and leaves invalid SSNs', () => {
    expect(kinds('my postcode is SW1A 2AA')).toEqual([['ADDRESS', 'SW1A 2AA']]);
    expect(kinds('my SSN is 536-90-4399')).toEqual([['NATIONAL_ID', '536-90-4399']]);
    // 000, 666 and 9xx areas, group 00 and serial 0000 are never issued.
    for (const ssn of ['000-12-3456', '666-12-3456', '912-12-3456', '536-00-4399', '536-90-0000']) expect(kinds(`ssn ${ssn}`).map(([k]) => k)).not.toContain('NATIONAL_ID');
    expect(kinds('NI number AB 12 34 56 C')).toEqual([['NATIONAL_ID', 'AB 12 34 56 C']]);
  });
});

describe('redaction: what the independent corpus wrongly redacted', () => {
  it.each([
    ['I uploaded 5 files to Google Drive'],
    ['be there in 10 minutes at my place'],
    ['we are on release 1.2.3.4 since Monday'],
    ['upgraded to v10.2.0.1 yesterday'],
    ['my order number is 4539148803436467'],
    ['show me the token probabilities'],
    ['what are the password requirements?'],
    ['token: the next one is cheaper, password: forgot it again'],
    ['rename it to final_export_video_v2_compressed_1080p_Final2.mp4'],
    ['IMG_20240501_143022.jpg is the file'],
    ['the meeting is on 2024-05-01 at 14:30, it costs $1,299.00'],
    ['commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it, id 3f2b9c1e-7a4d-4e8b-9c0f-12ab34cd56ef'],
    ['I have 3 Drive folders and it is a 20 min drive'],
    ['we made 3 Short Walk videos and 2 Matcha Green Tea ads'],
  ])('keeps %s', (text) => {
    expect(redact(text).text).toBe(text);
  });

  it('takes card numbers only with an issuer range, its length and grouping, and Luhn', () => {
    expect(cardValid('4539 1488 0343 6467')).toBe(true);
    expect(cardValid('3714 496353 98431')).toBe(true); // Amex 4-6-5
    expect(cardValid('3714 4963 5398 431')).toBe(false); // Amex printed 4-4-4-3 is not how Amex groups
    expect(cardValid('4539 148 80343 6467')).toBe(false); // no issuer groups a Visa 4-3-5-4
    expect(cardValid('4539 1488 0343 6468')).toBe(false); // Luhn
    expect(cardValid('9539 1488 0343 6464')).toBe(false); // no issuer range starts with 9
    expect(luhnValid('4242424242424242')).toBe(true);
  });
});

describe('redaction: the API callers rely on', () => {
  it('uses typed placeholders and counts what it removed', () => {
    const out = redact('mail me at jo@example.com or call +1 415 555 0100, card 4242 4242 4242 4242, key sk-abcdefghijklmnopqrstuvwxyz123456');
    expect(out.text).toBe('mail me at [EMAIL] or call [PHONE], card [CARD], key [API_KEY]');
    expect(out.counts).toEqual({ EMAIL: 1, PHONE: 1, CARD: 1, API_KEY: 1 });
  });

  it('keeps the label of a labelled secret and redacts inside nested values', () => {
    const counts = {};
    // The whole value is the secret, its "!" included (was "password: [API_KEY]!" when symbols ended a value).
    const out = redactDeep({ messages: [{ content: 'password: hunter2hunter2!' }, { content: 'server 10.0.0.12 at 221 Baker Street' }], n: 3 }, counts);
    expect(out).toEqual({ messages: [{ content: 'password: [API_KEY]' }, { content: 'server [IP] at [ADDRESS]' }], n: 3 });
    expect(counts).toEqual({ API_KEY: 1, IP: 1, ADDRESS: 1 });
  });
});
