/**
 * A request as a caller makes it through a Redis crash or outage, with an idempotency key (`key`
 * set): made again under the key while Redis does not answer (the producer's connection fails its
 * calls while Redis is down or frozen, SMSQ_REDIS_UNAVAILABLE) or a request cut off by the outage
 * still holds the key (its lease runs out within 15 s, SMSQ_IDEMPOTENCY_IN_PROGRESS), for up to a
 * minute. Without a key, once. `onRetry` hears the code of each refusal made again.
 */
export async function asCallerDoes<T>(
  key: string | undefined,
  send: (idempotencyKey: { idempotencyKey?: string }) => Promise<T>,
  onRetry?: (code: string) => void,
): Promise<T> {
  if (key === undefined) return send({});
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      return await send({ idempotencyKey: key });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (performance.now() > deadline || (code !== 'SMSQ_REDIS_UNAVAILABLE' && code !== 'SMSQ_IDEMPOTENCY_IN_PROGRESS')) throw err;
      onRetry?.(code);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
