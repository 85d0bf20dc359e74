// floe's log lines: `text` ("floe[orders] committed …", the default) or `json` (one object per
// line: time, level, connector, message, then any fields), at a level (debug, info, warn,
// error). Chosen by `--log-format` / `--log-level` before the command, or FLOE_LOG_FORMAT /
// FLOE_LOG_LEVEL. Warnings and errors go to stderr, the rest to stdout.
import { FloeError } from './errors.ts';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, string | number | boolean | bigint | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LogSettings {
  format: LogFormat;
  level: LogLevel;
}

export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

const consoleSink: LogSink = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

let settings: LogSettings = fromEnv(process.env);
let sink: LogSink = consoleSink;

/** Settings from FLOE_LOG_FORMAT and FLOE_LOG_LEVEL (text and info when unset). */
export function fromEnv(env: NodeJS.ProcessEnv): LogSettings {
  return { format: parseFormat(env.FLOE_LOG_FORMAT ?? 'text', 'FLOE_LOG_FORMAT'), level: parseLevel(env.FLOE_LOG_LEVEL ?? 'info', 'FLOE_LOG_LEVEL') };
}

export function parseFormat(v: string, where: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat;
  throw new FloeError('fatal', `${where} must be one of ${LOG_FORMATS.join(', ')}, got "${v}"`);
}

export function parseLevel(v: string, where: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new FloeError('fatal', `${where} must be one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
}

/** Sets the format and level of every logger, for the rest of the process (and the sink, for tests). */
export function configureLogs(s: Partial<LogSettings>, to?: LogSink): void {
  settings = { ...settings, ...s };
  if (to) sink = to;
}

/** A logger whose lines name `connector` (text: "floe[connector] …"; json: "connector": …). */
export function loggerFor(connector: string): Logger {
  const line = (level: LogLevel) => (message: string, fields?: LogFields) => write(level, connector, message, fields);
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

function write(level: LogLevel, connector: string, message: string, fields: LogFields | undefined): void {
  if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(settings.level)) return;
  let text: string;
  if (settings.format === 'json') {
    const o: Record<string, unknown> = { time: new Date().toISOString(), level, connector, message };
    for (const [k, v] of Object.entries(fields ?? {})) if (v !== undefined && !(k in o)) o[k] = typeof v === 'bigint' ? v.toString() : v;
    text = JSON.stringify(o);
  } else {
    const extra = Object.entries(fields ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ` ${k}=${String(v)}`)
      .join('');
    text = `floe[${connector}] ${level === 'debug' ? 'debug: ' : ''}${message}${extra}`;
  }
  if (level === 'warn' || level === 'error') sink.err(text);
  else sink.out(text);
}

/** A logger that writes nothing (tests, embedded uses). */
export const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
