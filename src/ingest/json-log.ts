// JSON log lines for `floe serve`: one object per line on stdout (warnings and errors on
// stderr), {"time", "level", "msg", ...fields}; bigints are written as strings.
export type LogLevel = 'info' | 'warn' | 'error';

export type JsonLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function jsonLog(out: (line: string) => void = (l) => process.stdout.write(l), err: (line: string) => void = (l) => process.stderr.write(l)): JsonLog {
  return (level, msg, fields = {}) => {
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    (level === 'info' ? out : err)(`${line}\n`);
  };
}
