/**
 * The review states of a qualification record: the codes QuerySmsQualificationRecord's `State`
 * filter takes, and the console's words (`StateName`) its answers carry instead of the code.
 */
export const QUALIFICATION_STATES = ['INIT', 'PASS', 'NOT_PASS', 'NOT_FINISH', 'CANCEL'] as const;
export type QualificationState = (typeof QUALIFICATION_STATES)[number];

export const QUALIFICATION_STATE_NAMES: Readonly<Record<QualificationState, string>> = Object.freeze({
  INIT: '审核中',
  PASS: '审核通过',
  NOT_PASS: '审核未通过',
  NOT_FINISH: '待补充资料',
  CANCEL: '已撤回',
});

/** The state code for a record's `StateName`, or undefined for words not in the table. */
export function qualificationStateOf(stateName: string): QualificationState | undefined {
  return QUALIFICATION_STATES.find((code) => QUALIFICATION_STATE_NAMES[code] === stateName);
}
