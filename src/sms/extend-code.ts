/**
 * What an extension code (SmsUpExtendCode, each element of SmsUpExtendCodeJson) may be: 1-12
 * digits. smsq's door (producers/schemas.ts) and the emulator's isv.EXTEND_CODE_ERROR
 * (src/emulator/send-params.ts) both test it: a code the door takes must be one the emulator takes,
 * or a send would pass the door and be refused by the API it stands for. Here, under both, because
 * the emulator imports no producer code (.dependency-cruiser.mjs, emulator-stands-alone).
 */
export const EXTEND_CODE = /^\d{1,12}$/;
