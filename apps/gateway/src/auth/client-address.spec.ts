import { attemptSource } from './client-address';

describe('attemptSource', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, source) => {
    expect(attemptSource(address)).toBe(source);
  });

  it('puts two addresses of one /64 together, and of two /64s apart', () => {
    expect(attemptSource('2001:db8:1:2::a')).toBe(attemptSource('2001:db8:1:2:ffff::b'));
    expect(attemptSource('2001:db8:1:2::a')).not.toBe(attemptSource('2001:db8:1:3::a'));
  });
});
