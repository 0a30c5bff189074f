import { z } from 'zod';

const params = z.record(z.string(), z.string());

/** One SendSms call: numbers that share signature, template and params. */
export const SmsChunkPayload = z.object({
  api: z.literal('SendSms'),
  phones: z.array(z.string()).min(1).max(1000),
  signName: z.string().min(1),
  templateCode: z.string().min(1),
  templateParam: params.optional(),
  smsUpExtendCode: z.string().optional(),
});

/** One SendBatchSms call: personalised messages, matched by position. */
export const BatchChunkPayload = z
  .object({
    api: z.literal('SendBatchSms'),
    phones: z.array(z.string()).min(1).max(100),
    signNames: z.array(z.string().min(1)),
    templateCode: z.string().min(1),
    templateParams: z.array(params).optional(),
    /**
     * SmsUpExtendCodeJson, one code per number; absent when none of the chunk's messages has one
     * (payloads written before batches took codes have none). Never partly empty: the producer
     * puts messages without a code in chunks of their own.
     */
    smsUpExtendCodes: z.array(z.string()).optional(),
  })
  .refine((p) => p.signNames.length === p.phones.length, { message: 'signNames must match phones one to one' })
  .refine((p) => !p.templateParams || p.templateParams.length === p.phones.length, {
    message: 'templateParams must match phones one to one',
  })
  .refine((p) => !p.smsUpExtendCodes || p.smsUpExtendCodes.length === p.phones.length, {
    message: 'smsUpExtendCodes must match phones one to one',
  });

/** What a chunk sends; stored once in the chunk hash (jobs carry only the chunk id). */
export const ChunkPayload = z.union([SmsChunkPayload, BatchChunkPayload]);
export type ChunkPayload = z.infer<typeof ChunkPayload>;
export type SmsChunkPayload = z.infer<typeof SmsChunkPayload>;
export type BatchChunkPayload = z.infer<typeof BatchChunkPayload>;

/**
 * The API a send's record names: the one most of its recipients go by (a campaign's rows with
 * params of their own go by SendBatchSms, the others by SendSms), given its recipients per API.
 */
export function apiOfMost(recipients: Readonly<Record<ChunkPayload['api'], number>>): ChunkPayload['api'] {
  return recipients.SendBatchSms > recipients.SendSms ? 'SendBatchSms' : 'SendSms';
}
