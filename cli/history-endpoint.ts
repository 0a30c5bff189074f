/**
 * The refusal of a command that reads the history of sends (`details`, `stats`) where that history
 * cannot be: in sandbox mode without SMS_ENDPOINT the command would start an emulator of its own,
 * which holds no sends, and answer "no messages" / "nothing sent" with exit 0 whatever the
 * deployment sent. The catalog commands (`signs`, `templates`, `qualifications`, ...) are not
 * refused: every emulator holds the same fixtures, so theirs is the deployment's answer.
 */
import { ConfigError } from '../src/errors.js';
import type { Config } from '../src/config.js';

/** Throws {@link ConfigError} (exit 2) when `command` would read sends from an emulator started for it alone. */
export function refuseHistoryWithoutEndpoint(config: Pick<Config, 'mode' | 'endpoint'>, command: string): void {
  if (config.mode !== 'sandbox' || config.endpoint !== undefined) return;
  throw new ConfigError([
    `SMS_ENDPOINT is not set: in sandbox mode smsq ${command} would ask an emulator started inside this command, which holds no sends, and answer that nothing was sent whatever was (nothing was called). ` +
      'Fix: SMS_ENDPOINT=<host:port> of the emulator the deployment sends through (the one `smsq emulator` runs; its "use it" line prints it, e.g. SMS_ENDPOINT=127.0.0.1:8081), or SMS_MODE=live to ask Alibaba Cloud',
  ]);
}
