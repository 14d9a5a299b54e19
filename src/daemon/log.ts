// Logs through winston: one line per event with structured fields (peer, event, …) as
// key=value after the message, which journald and grep both read well. Level from the config,
// changeable at run time (reload).
//
// Under systemd (stdout is the journal stream named by $JOURNAL_STREAM) each line starts with
// its sd-daemon(3) priority, `<3>` error, `<4>` warning, `<6>` info, `<7>` debug, and has no
// timestamp: journald strips the prefix into PRIORITY (so `journalctl -u routed -p warning`
// filters) and stamps the entry itself. JSON lines were the other choice; journald stores them
// as opaque MESSAGE text and gives them no priority, so the prefix is the one that buys filtering.
// There is never colour.

import fs from 'node:fs';
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

/** sd-daemon(3) / syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
const PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/**
 * Is file descriptor `fd` the journal stream systemd connected? JOURNAL_STREAM is "dev:inode" of
 * that stream (systemd.exec(5)); comparing them tells a redirected or piped stdout from the journal.
 */
export function isJournalStream(fd = 1, env: NodeJS.ProcessEnv = process.env): boolean {
  const [dev, ino] = (env.JOURNAL_STREAM ?? '').split(':');
  if (!dev || !ino) return false;
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    return String(st.dev) === dev && String(st.ino) === ino;
  } catch {
    return false;
  }
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

/**
 * `journal`: write for journald (priority prefix, no timestamp). Default: when the stream is
 * stdout and stdout is the journal stream.
 */
export function createLogger(level: Level = 'info', stream: NodeJS.WritableStream = process.stdout, opts: { journal?: boolean } = {}): Logger {
  const underJournal = opts.journal ?? (stream === process.stdout && isJournalStream(1));
  const line = winston.format.printf((info) => {
    const { level: lvl, message, timestamp, fields } = info as { level: string; message: string; timestamp?: string; fields?: Fields };
    const extra = fieldText(fields ?? {});
    const head = underJournal ? `<${PRIORITY[lvl] ?? 6}>` : timestamp ? timestamp + ' ' : '';
    return `${head}${lvl} ${message}${extra ? ' ' + extra : ''}`;
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
