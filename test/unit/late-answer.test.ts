import { describe, expect, it } from 'vitest';
import { lateAnswerVerdict } from '../../workers/late-answer.js';

const answer = { outId: 's1.0.1-abc', bizId: 'biz-1' };

describe('an accepted answer whose chunk is gone, against what its compacted send keeps', () => {
  it('confirms a chunk kept accepted under its OutId (and its BizId, or none the report gave)', () => {
    expect(lateAnswerVerdict({ state: 'accepted', wholeOutId: 's1.0.1-abc', bizId: 'biz-1' }, answer)).toBe('confirms');
    expect(lateAnswerVerdict({ state: 'accepted', wholeOutId: 's1.0.1-abc', bizId: '' }, answer)).toBe('confirms');
  });

  it('is another outcome when the chunk is kept under another OutId or BizId, or not accepted', () => {
    expect(lateAnswerVerdict({ state: 'accepted', wholeOutId: 's1.0.2-def', bizId: 'biz-2' }, answer)).toBe('other');
    expect(lateAnswerVerdict({ state: 'accepted', wholeOutId: 's1.0.1-abc', bizId: 'biz-9' }, answer)).toBe('other');
    expect(lateAnswerVerdict({ state: 'expired', wholeOutId: 's1.0.1-abc', bizId: '' }, answer)).toBe('other');
  });

  it('cannot tell when nothing is kept of the chunk', () => {
    expect(lateAnswerVerdict(undefined, answer)).toBe('unknown');
  });
});
