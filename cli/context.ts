/**
 * The context every command shares: the output writers, the configuration (loaded once), the
 * logger (on stderr), the SMS runtime (opened on first use, closed after the command), and the one
 * place that turns failures into messages and exit codes.
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import { systemClock, type Clock } from '../src/clock.js';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { createLogger, type Logger } from '../src/logger.js';
import type { SmsRuntime } from '../src/runtime/sms-runtime.js';
import type { Tracing } from '../src/telemetry/tracing.js';
import type { SmsOutcome } from '../src/sms/types.js';
import { rewordSmsError, SmsError } from '../src/sms/errors.js';
import { endpointFaultLine, queryAction, queryMeaning, toldInOneLine } from '../src/sms/error-codes.js';
import { EXIT, IdempotencyKeyReusedError, NotFoundError, RedisUnavailableError, RedisWritesRefusedError, SMSQ_CODES, ValidationError, exitCodeOf, type SmsqCode } from '../src/errors.js';
import { redactRedisUrl } from '../src/queue/redis-url.js';
import { inEnvironmentTerms } from '../src/setting-mention.js';
import { connectionReason, isRedisConnectionError, underExecAbort, writeRefusal } from '../src/queue/redis-errors.js';
import { ApiCallError, EXIT_OK, exitCodeOfSmsError, UsageError } from './errors.js';
import { parseFlags } from './flags.js';
import { flagOfField, idempotencyRefusalFor, inFlagTerms } from './request-flags.js';
import { createCliLogDestination } from './log-destination.js';
import { jsonLayoutOf, jsonText, type JsonLayout } from './json-layout.js';

/** Anything strings can be written to: `process.stdout`, or a test's collector. */
export interface Writer {
  write(chunk: string): unknown;
}

/** What the CLI needs from the outside world; tests pass their own. */
export interface CliDeps {
  /** Command output (tables, JSON). Nothing else is ever written here. */
  stdout: Writer;
  /** Logs, errors, hints. */
  stderr: Writer;
  /** Environment to load the configuration from. Default: the process environment. */
  env?: NodeJS.ProcessEnv;
  /** stdout is a terminal. Default false. */
  isTTY?: boolean;
  /** stderr is a terminal: log lines are printed readable instead of JSON. Default false. */
  stderrIsTTY?: boolean;
  /**
   * Resolves (with the signal's name) when the process is asked to stop. Long-running commands
   * (`emulator`, `worker`) wait on it. Default: never resolves.
   */
  waitForShutdown?: () => Promise<string>;
  /**
   * Registers what to say when a second signal ends the process at once (exit 130 for SIGINT,
   * 143 for SIGTERM): one line on what is left undone. The last registration wins. Default: none.
   */
  onForcedExit?: (say: (signal: string) => void) => void;
  /**
   * Asks a yes/no question on the terminal and resolves true for yes. Absent when there is no
   * terminal to ask on (stdin or stderr not a TTY): commands that need confirmation then refuse.
   */
  confirm?: (question: string) => Promise<boolean>;
  /**
   * Time for what is judged against the calendar: flags checked against today (`details --date`,
   * `stats --end`), the heartbeats a worker is seen by, the times `status --watch` prints. Poll
   * intervals and grace periods use the process's monotonic time. Default: the system clock.
   */
  clock?: Clock;
}

/** A command module: `cli/commands/<name>.ts` exports one and `commands/index.ts` lists it. */
export interface CommandModule {
  register(program: Command, ctx: CliContext): void;
}

/** A successful call's payload and request id. */
export interface Answer<T> {
  data: T;
  requestId: string;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Suggested commands for errors about signatures or templates, as the seed's quick recovery does. */
/** Commands that only read (the catalog, look-ups, a send's status, the list of sends): asking again never sends. */
const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set(['signs', 'sign', 'templates', 'template', 'qualifications', 'qualification', 'details', 'stats', 'status', 'sends']);
/** Commands that write to Redis but enqueue nothing, by what a failure names them: never "nothing was enqueued". */
const TASKS: Readonly<Record<string, string>> = Object.freeze({ resume: 'resume (lifting the account block)', repair: 'repair sweep' });

export function recoveryCommands(error: Pick<SmsError, 'code' | 'errorClass'>): string[] {
  if (error.errorClass !== 'sign_template') return [];
  const code = error.code.toUpperCase();
  const template = code.includes('TEMPLATE');
  const sign = code.includes('SIGN') || !template;
  return [...(sign ? ['smsq signs'] : []), ...(template ? ['smsq templates'] : [])];
}

export class CliContext {
  /** The exit code of the last command run. */
  exitCode: number = EXIT_OK;
  /** How {@link printJson} lays a document out: `line` where the command prints JSON lines (`--watch --json`), errors included. */
  jsonLayout: JsonLayout = 'document';
  private configValue: Config | undefined;
  private loggerValue: Logger | undefined;
  private runtime: Promise<SmsRuntime> | undefined;
  private readonly closers: (() => Promise<void> | void)[] = [];
  private tracingValue: Tracing | undefined;
  /** The command being run, bound to every log line (`command: "worker"`). */
  private commandName: string | undefined;

  constructor(readonly deps: CliDeps) {}

  /** Now, from the deps' clock. */
  now(): number {
    return (this.deps.clock ?? systemClock).now();
  }

  /**
   * OpenTelemetry tracing of the running command, when the `OTEL_*` variables ask for it (see
   * docs/tracing.md); undefined otherwise, and then no OpenTelemetry package was loaded.
   */
  get tracing(): Tracing | undefined {
    return this.tracingValue;
  }

  /** Starts tracing before a command runs, when configured; flushed and stopped after it. */
  private async startTracing(role: string): Promise<void> {
    let config: Config;
    try {
      config = this.config;
    } catch {
      return; // a bad environment is the command's to report, with every variable named
    }
    if (!config.tracing || this.tracingValue) return;
    // Loaded only here: without OTEL_* no OpenTelemetry package is imported at all.
    const { startTracing } = await import('../src/telemetry/tracing.js');
    const tracing = await startTracing({ config: config.tracing, role, logger: this.logger });
    this.tracingValue = tracing;
    this.onClose(async () => {
      this.tracingValue = undefined;
      await tracing.shutdown();
    });
  }

  /** The configuration, loaded from the environment on first use. Throws {@link ConfigError}. */
  get config(): Config {
    this.configValue ??= loadConfig(this.deps.env);
    return this.configValue;
  }

  /** The logger; writes to stderr only. */
  get logger(): Logger {
    this.loggerValue ??= createLogger(
      // The command, not `component`: children bind their own component, and pino repeats a key bound twice.
      { level: this.config.logLevel ?? 'info', base: { command: this.commandName ?? 'smsq' }, environmentTerms: true },
      createCliLogDestination(this.deps.stderr, this.deps.stderrIsTTY === true),
    );
    return this.loggerValue;
  }

  /** The SMS runtime, opened on first use and closed when the command ends. */
  sms(): Promise<SmsRuntime> {
    if (!this.runtime) {
      const { config, logger } = this; // a bad environment throws here, before anything is opened
      // Loaded here, not at the top: commands without API calls never need the SDK, and it is
      // large (its RSS: docs/benchmarks.md, "Figures behind the code").
      const opening = import('../src/runtime/sms-runtime.js').then(({ openSmsRuntime }) => openSmsRuntime({ config, logger }));
      this.runtime = opening;
      this.onClose(async () => (await opening).close());
    }
    return this.runtime;
  }

  /** Registers clean-up to run after the command, last registered first. */
  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  /** Runs and forgets every registered clean-up. */
  async close(): Promise<void> {
    while (this.closers.length > 0) {
      const fn = this.closers.pop()!;
      try {
        await fn();
      } catch (err) {
        this.deps.stderr.write(`warning: clean-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    this.runtime = undefined;
  }

  /** Writes lines of readable output to stdout. */
  print(text: string): void {
    this.deps.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes one JSON document to stdout, as one line in a line mode ({@link jsonLayout}). */
  printJson(value: unknown): void {
    this.deps.stdout.write(`${jsonText(value, this.jsonLayout)}\n`);
  }

  /** Writes a hint or notice to stderr (never mixed into the output). */
  note(text: string): void {
    this.deps.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The payload of a successful call; a failed one ends the command (exit 2 or 3, see {@link exitCodeOfSmsError}). */
  unwrap<T>(outcome: SmsOutcome<T>): Answer<T> {
    if (!outcome.ok) throw new ApiCallError(outcome.error);
    return { data: outcome.data, requestId: outcome.requestId };
  }

  /**
   * Builds a commander action: collects the command's options and positional arguments, parses
   * them with `schema` (bad flags: one line each, exit 2, nothing called), runs `run`, reports any
   * failure, and closes what the command opened. `run` may return an exit code.
   */
  action<S extends z.ZodType>(schema: S, run: (flags: z.output<S>, command: Command) => Promise<number | void>) {
    return async (...actionArgs: unknown[]): Promise<void> => {
      const command = actionArgs[actionArgs.length - 1] as Command;
      this.commandName ??= command.name();
      const argNames = command.registeredArguments.map((a) => camel(a.name()));
      const raw: Record<string, unknown> = { ...command.opts() };
      argNames.forEach((name, i) => {
        raw[name] = command.processedArgs[i];
      });
      const json = raw.json === true;
      this.jsonLayout = jsonLayoutOf(raw);
      try {
        const flags = parseFlags(schema, raw, argNames);
        await this.startTracing(command.name());
        this.exitCode = (await run(flags, command)) ?? EXIT_OK;
      } catch (err) {
        this.exitCode = this.report(err, json);
      } finally {
        await this.close();
      }
    };
  }

  /**
   * Prints a failure (stderr; and as `{ "error": ... }` on stdout with `--json`); returns the exit
   * code, from the one list of codes in src/errors.ts.
   */
  report(err: unknown, json: boolean): number {
    // A look-up the producer made (the door's account check) failed for the whole account: its
    // words name the client's options, as a Node caller gave them; this process read SMS_ENDPOINT.
    if (err instanceof SmsError) err = new ApiCallError(rewordSmsError(err, inEnvironmentTerms));
    if (err instanceof ValidationError) {
      // Refused at the door: nothing was sent or enqueued. The fix is read by someone who typed
      // flags, in --json too (it told them `kind: "verification"`); `field` stays the request's, for scripts.
      const issues = err.issues.map((i) => ({ ...i, message: inFlagTerms(i.message) }));
      for (const issue of issues) this.note(`error: ${flagOfField(issue.field)}: ${issue.message}`);
      if (json) this.printJson({ error: { code: err.code, errorClass: 'invalid', meaning: 'the request was refused; nothing was enqueued', action: 'fix the fields named', issues } });
      return exitCodeOf(err.code);
    }
    if (err instanceof UsageError) {
      for (const line of err.message.split('\n')) this.note(`error: ${line}`);
      if (err.fix !== undefined) this.note(`Fix: ${err.fix}`);
      // `meaning` stays the whole text, as it always was; `issues` names each flag for a script.
      const action = err.fix === undefined ? 'fix the flag as shown' : `Fix: ${err.fix}`;
      if (json) this.printJson({ error: { code: err.code, errorClass: 'usage', meaning: err.message, action, ...(err.issues === undefined ? {} : { issues: err.issues }) } });
      return exitCodeOf(err.code);
    }
    if (err instanceof ConfigError) {
      // A factory's refusal (createSmsWorker's options) names it as the command that built it.
      const lines = err.lines.map(inEnvironmentTerms);
      for (const line of lines) this.note(`error: ${line}`);
      if (json)
        this.printJson({
          error: { code: err.code, errorClass: 'config', meaning: lines.join('\n'), action: 'fix the environment variables named' },
        });
      return exitCodeOf(err.code);
    }
    const refused = this.asWritesRefused(err);
    if (refused) {
      const message = inEnvironmentTerms(refused.message);
      this.note(`error ${refused.code}: ${message}`);
      if (json) this.printJson({ error: { code: refused.code, errorClass: 'dependency', meaning: message, action: 'fix Redis as the message says, then run again' } });
      return exitCodeOf(refused.code);
    }
    const redisDown = this.asRedisUnavailable(err);
    const task = this.task();
    // Past the gate, a task's command that timed out may still be carried out once Redis answers.
    const unavailable = redisDown && task !== undefined ? redisDown.asTask(task, redisDown.midCall || (!(err instanceof RedisUnavailableError) && /Command timed out/.test(redisDown.reason))) : redisDown && this.readOnly() ? redisDown.asRead() : redisDown;
    if (unavailable || err instanceof NotFoundError) {
      const known = (unavailable ?? err) as RedisUnavailableError | NotFoundError;
      // A send not found says where it was looked for and the fix (SendNotFoundError), as REST says it,
      // naming the settings as the environment this process was configured by names them.
      const message = inEnvironmentTerms(known.message);
      this.note(`error ${known.code}: ${message}`);
      const fix = (known as NotFoundError).fix;
      const action = unavailable ? 'start Redis or fix REDIS_URL, then run again' : fix === undefined ? 'check the id' : `Fix: ${inEnvironmentTerms(fix)}`;
      if (json) this.printJson({ error: { code: known.code, errorClass: unavailable ? 'dependency' : 'refused', meaning: message, action } });
      return exitCodeOf(known.code);
    }
    if (err instanceof ApiCallError) {
      const e = err.smsError;
      const suggest = recoveryCommands(e);
      const action = err.words?.action ?? (this.readOnly() ? queryAction(e) : e.action);
      const meaning = err.words?.meaning ?? (this.readOnly() ? queryMeaning(e) : e.meaning);
      const printError = (): void =>
        this.printJson({
          error: {
            code: e.code,
            errorClass: e.errorClass,
            meaning,
            action,
            message: e.message,
            requestId: e.requestId ?? null,
            httpStatus: e.httpStatus ?? null,
            ...(suggest.length ? { suggest } : {}),
          },
        });
      if (toldInOneLine(e, this.readOnly())) {
        // Where the call went, or the credentials it had, is what to fix: one line naming SMS_ENDPOINT and its value (or the sources tried) and the fix, as REST answers it.
        this.note(`error ${e.code}: ${endpointFaultLine(e, this.readOnly() ? 'nothing was changed' : 'nothing was enqueued', this.readOnly())}`);
        if (json) printError();
        return exitCodeOfSmsError(e);
      }
      this.note(`error ${e.code}: ${meaning}`);
      if (e.message && e.message !== e.meaning && e.message !== e.code) {
        // With an HTTP status the text is Alibaba's Message; without, it is what went wrong locally.
        this.note(`${e.httpStatus === undefined ? 'detail' : 'server said'}: ${e.message}`);
      }
      this.note(`what to do: ${action}`);
      for (const cmd of suggest) this.note(`see what the account has: ${cmd}`);
      if (e.requestId) this.note(`request id: ${e.requestId}`);
      if (json) printError();
      return exitCodeOfSmsError(e);
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code in SMSQ_CODES) {
      // A setting it names is named as its flag (an idempotency key's refusal names the fields that differ, as the command run gives them); --json keeps the API's words.
      this.note(`error ${code}: ${err instanceof IdempotencyKeyReusedError ? idempotencyRefusalFor(err, this.commandName).message : inFlagTerms(message)}`);
      // --json keeps the API's words for a request's fields; the deployment's settings are the environment's here.
      if (json) this.printJson({ error: { code, errorClass: 'smsq', meaning: inEnvironmentTerms(message), action: SMSQ_CODES[code as SmsqCode].meaning } });
      return exitCodeOf(code as SmsqCode);
    }
    this.note(`error: ${message}`);
    if (json) this.printJson({ error: { code: 'SMSQ_INTERNAL', errorClass: 'internal', meaning: message, action: 'report this with the command line used' } });
    return EXIT.internal;
  }

  /** `err` as SMSQ_REDIS_UNAVAILABLE when it says Redis could not be reached (whoever threw it). */
  /** Whether the command being run only reads: its failures get a query's advice, not a send's. */
  private readOnly(): boolean {
    return this.commandName !== undefined && READ_ONLY_COMMANDS.has(this.commandName);
  }

  /** The name of the task being run when it enqueues nothing but writes ({@link TASKS}). */
  private task(): string | undefined {
    return this.commandName === undefined ? undefined : TASKS[this.commandName];
  }

  /** `err` as SMSQ_REDIS_WRITES_REFUSED when it is Redis refusing writes (whoever threw it), said as what this command left. */
  private asWritesRefused(err: unknown): RedisWritesRefusedError | undefined {
    const refusal = err instanceof RedisWritesRefusedError ? err.refusal : writeRefusal(err);
    if (!refusal) return undefined;
    const task = this.task();
    // At maxmemory Redis still takes deletes (they free memory): a task of several steps may have made those.
    const outcome =
      task !== undefined
        ? refusal.kind === 'OOM'
          ? `the ${task} was not done, or only in part (Redis at maxmemory still takes deletes): a second run does no harm once it takes writes`
          : `the ${task} was not done: nothing was changed`
        : this.readOnly()
          ? 'nothing was changed'
          : undefined;
    if (err instanceof RedisWritesRefusedError) return outcome === undefined ? err : err.saying(outcome);
    const url = redactRedisUrl(this.configValue?.redisUrl ?? 'redis://127.0.0.1:6379');
    return new RedisWritesRefusedError(url, refusal, outcome ?? 'nothing was enqueued', underExecAbort(err));
  }

  private asRedisUnavailable(err: unknown): RedisUnavailableError | undefined {
    if (err instanceof RedisUnavailableError) return err;
    if (!isRedisConnectionError(err)) return undefined;
    return new RedisUnavailableError(redactRedisUrl(this.configValue?.redisUrl ?? 'redis://127.0.0.1:6379'), connectionReason(err), err);
  }
}
