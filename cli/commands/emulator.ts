/** `smsq emulator`: runs the local Dysmsapi emulator until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { z } from 'zod';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { hostFlag, intFlag, switchFlag } from '../flags.js';
import { listenRefusal } from '../listen-errors.js';
import { isEveryInterface, localUrlHost } from '../../src/listen-host.js';

/** Port the emulator listens on when `--port` is not given. */
export const DEFAULT_EMULATOR_PORT = 8081;

const schema = z.object({
  port: intFlag(0, 65_535, `--port ${DEFAULT_EMULATOR_PORT} (0 picks a free port)`).optional().default(DEFAULT_EMULATOR_PORT),
  host: hostFlag('--host 127.0.0.1 (or 0.0.0.0 inside a container)').optional().default('127.0.0.1'),
  controlPort: intFlag(0, 65_535, '--control-port 8082 (0 picks a free port)').optional(),
  json: switchFlag,
});

export function register(program: Command, ctx: CliContext): void {
  program
    .command('emulator')
    .description('run the local Dysmsapi emulator (what sandbox mode talks to) until Ctrl-C')
    .option('--port <port>', `port for the Dysmsapi API (default: ${DEFAULT_EMULATOR_PORT}; 0 = any free port)`)
    .option('--host <host>', 'address to listen on (default: 127.0.0.1)')
    .option('--control-port <port>', 'also serve the control API (fixtures, failures, sent messages) on this port')
    .option('--json', 'print the listening addresses as one JSON line on stdout')
    .action(
      ctx.action(schema, async (flags) => {
        const config = ctx.config;
        const accessKey = config.accessKey ?? SANDBOX_ACCESS_KEY;
        const fromEnv = config.accessKey !== undefined;
        // The control API listens on 127.0.0.1 too: one port cannot serve both.
        if (flags.controlPort !== undefined && flags.controlPort !== 0 && flags.controlPort === flags.port) {
          throw new UsageError(`--port ${flags.port} and --control-port ${flags.controlPort} are the same port: the API and the control API each need their own. Fix: --control-port ${flags.port === 65_535 ? flags.port - 1 : flags.port + 1}, or leave it out`);
        }
        const { runEmulatorStandalone } = await import('../../src/emulator/index.js');
        const running = await runEmulatorStandalone({
          port: flags.port,
          host: flags.host,
          controlPort: flags.controlPort,
          accessKey,
          logger: ctx.logger.child({ component: 'emulator' }),
          // Signals are the CLI's to handle (deps.waitForShutdown), so tests can drive it too.
          handleSignals: false,
        }).catch((err: unknown) => {
          // Node's error names the port that failed: the API's, or the control API's.
          const control = flags.controlPort !== undefined && (err as { port?: unknown }).port === flags.controlPort && flags.controlPort !== flags.port;
          const at = control
            ? { host: '127.0.0.1', port: flags.controlPort ?? 0, hostFlag: '--host', portFlag: '--control-port', portOption: '--control-port' }
            : { host: flags.host, port: flags.port, hostFlag: '--host', portFlag: '--port' };
          throw listenRefusal(err, at) ?? err;
        });
        ctx.onClose(() => running.close());
        // `endpoint` stays the address bound (scripts read it); a client needs one it can call.
        const everyInterface = isEveryInterface(running.host);
        const info = {
          endpoint: running.endpoint,
          host: running.host,
          port: running.port,
          control: running.control?.url ?? null,
          accessKeyId: accessKey.accessKeyId,
          accessKeySource: fromEnv ? 'ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET' : 'sandbox',
          everyInterface,
          localEndpoint: everyInterface ? `${localUrlHost(running.host)}:${running.port}` : running.endpoint,
        };
        if (flags.json) {
          ctx.deps.stdout.write(`${JSON.stringify(info)}\n`);
        } else {
          ctx.print(
            [
              everyInterface
                ? `smsq emulator listening on every interface (${info.host}, port ${info.port}; no SMS leaves this machine)`
                : `smsq emulator listening on ${info.endpoint} (no SMS leaves this machine)`,
              `  accepts AccessKey ID ${info.accessKeyId} ${fromEnv ? 'with the secret from ALIBABA_CLOUD_ACCESS_KEY_SECRET' : 'with the documented sandbox secret'}`,
              `  use it:  SMS_MODE=sandbox SMS_ENDPOINT=${info.localEndpoint}`,
              ...(info.control ? [`  control API: ${info.control}`] : []),
              '  stop with Ctrl-C',
            ].join('\n'),
          );
        }
        const signal = await Promise.race([
          ctx.deps.waitForShutdown?.() ?? new Promise<string>(() => {}),
          running.closed.then(() => 'closed'),
        ]);
        ctx.note(`${signal}: stopping the emulator`);
      }),
    );
}
