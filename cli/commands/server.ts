/** `smsq server`: HTTP ingestion, Bull Board, metrics and health until SIGTERM/SIGINT. */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { serverFlags } from './server-flags.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('server')
    .description('serve the REST API (/v1), the Bull Board dashboard, /metrics, /healthz and /readyz until SIGTERM/SIGINT')
    .option('--port <port>', 'port to listen on (default: SMSQ_SERVER_PORT or 8080; 0 = any free port)')
    .option('--host <host>', 'address to listen on (default: SMSQ_SERVER_HOST or 127.0.0.1)')
    .option('--insecure', 'serve /v1 and the dashboard WITHOUT authentication when no token or login is configured (trusted networks only)')
    .option('--json', 'print the listening address as one JSON line on stdout')
    .action(
      ctx.action(serverFlags, async (flags) => {
        const { runServer } = await import('./server-run.js');
        return runServer(ctx, flags);
      }),
    );
}
