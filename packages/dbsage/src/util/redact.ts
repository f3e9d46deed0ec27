/**
 * Credentials never leave dbsage: every message, log line and report goes through these helpers.
 */

const URL_PATTERN = /\b(postgres(?:ql)?|mongodb(?:\+srv)?|redis(?:s)?|mysql):\/\/([^\s/@]+)@/gi;

/** Removes the password from a connection URL: `postgres://u:secret@h/db` → `postgres://u@h/db`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '';
    for (const key of ['password', 'sslpassword', 'sslkey']) {
      if (parsed.searchParams.has(key)) parsed.searchParams.set(key, 'REDACTED');
    }
    return parsed.toString().replace(/:@/, '@');
  } catch {
    return redactText(url);
  }
}

/** Redacts any connection URL credentials and `password=` key/value pairs inside free text. */
export function redactText(text: string): string {
  return text
    .replace(URL_PATTERN, (_m, scheme: string, userinfo: string) => `${scheme}://${userinfo.split(':')[0]}@`)
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|\S+)/gi, '$1REDACTED');
}

/** host:port of a connection URL, for error messages that must not show anything else. */
export function hostPort(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
  } catch {
    return 'unknown-host';
  }
}
