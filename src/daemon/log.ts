// Logs through winston: one line per event with structured fields (peer, event, …) as
// key=value after the message, which journald and grep both read well. Level from the config,
// changeable at run time (reload).

import winston from 'winston';

export type Level = 'error' | 'warn' | 'info' | 'debug';
export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
  setLevel(level: Level): void;
}

/** Quote a value only when it needs it, so lines stay readable. */
function fieldText(fields: Fields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = String(v);
    parts.push(`${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`);
  }
  return parts.join(' ');
}

export function createLogger(level: Level = 'info', stream: NodeJS.WritableStream = process.stdout): Logger {
  // Under systemd the journal adds its own timestamp; elsewhere print one.
  const underJournal = Boolean(process.env.JOURNAL_STREAM);
  const line = winston.format.printf((info) => {
    const { level: lvl, message, timestamp, fields } = info as { level: string; message: string; timestamp?: string; fields?: Fields };
    const extra = fieldText(fields ?? {});
    return `${timestamp ? timestamp + ' ' : ''}${lvl} ${message}${extra ? ' ' + extra : ''}`;
  });
  const w = winston.createLogger({
    level,
    format: underJournal ? line : winston.format.combine(winston.format.timestamp(), line),
    transports: [new winston.transports.Stream({ stream })],
  });
  // The fields ride in one property of their own: spread into winston's info object, a field
  // named `message` (e.g. a shutdown message) would be glued onto the log message by winston.
  const at = (lvl: Level) => (msg: string, fields: Fields = {}) => void w.log({ level: lvl, message: msg, fields });
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    setLevel: (l) => {
      w.level = l;
    },
  };
}
