import { describe, expect, it } from 'vitest';
import { quietHoursLine } from '../../cli/pipeline.js';
import { planSend } from '../../producers/plan.js';
import { DEFAULT_QUIET_HOURS } from '../../src/queue/quiet-hours.js';

const at = (cst: string) => Date.parse(`${cst}+08:00`);
const MKT = { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_900000003', templateParam: { name: 'n' }, kind: 'marketing' as const };

describe('the plan and quiet hours', () => {
  it('says when quiet hours hold a marketing send planned inside them', () => {
    const plan = planSend(MKT, { now: at('2026-12-04T07:42:22'), quietHours: DEFAULT_QUIET_HOURS });
    expect(plan.quietUntil).toBe(at('2026-12-04T08:00:00'));
    expect(quietHoursLine(plan.kind, plan.quietUntil, DEFAULT_QUIET_HOURS)).toEqual([
      ['quiet hours', 'now (21:00-08:00 China time): nothing is sent before 08:00 China time (2026-12-04 08:00:00 +08:00)'],
    ]);
  });

  it('names the window outside it, and says nothing for other kinds or without quiet hours', () => {
    const day = planSend(MKT, { now: at('2026-12-04T10:00:00'), quietHours: DEFAULT_QUIET_HOURS });
    expect(day.quietUntil).toBeUndefined();
    expect(quietHoursLine('marketing', undefined, DEFAULT_QUIET_HOURS)).toEqual([['quiet hours', 'not now; marketing waits through 21:00-08:00 China time']]);
    const code = planSend({ ...MKT, kind: 'notification' }, { now: at('2026-12-04T07:42:22'), quietHours: DEFAULT_QUIET_HOURS });
    expect(code.quietUntil).toBeUndefined();
    expect(quietHoursLine('notification', undefined, DEFAULT_QUIET_HOURS)).toEqual([]);
    expect(quietHoursLine('marketing', undefined, undefined)).toEqual([]);
  });
});
