import { weakMasterKeyReason } from './key-material';

describe('weakMasterKeyReason', () => {
  it.each([
    ['sk-1234', 'is the example value from the tutorial or the example files'],
    ['CHANGE-ME-master-key', 'is the example value from the tutorial or the example files'],
    ['sk-12', 'is shorter than 8 characters'],
    ['sk-a-long-random-master-key-0123', undefined],
  ])('%s: %s', (key, reason) => {
    expect(weakMasterKeyReason(key)).toBe(reason);
  });

  it('never quotes the key', () => {
    for (const key of ['sk-1234', 'abc']) expect(weakMasterKeyReason(key)).not.toContain(key);
  });
});
