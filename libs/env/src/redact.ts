/**
 * `redis://user:secret@host/0` → `redis://user:***@host/0`: the form of a URL that may appear in
 * logs and error messages. Something that does not parse is not echoed at all (it may be a secret
 * pasted into the wrong variable).
 */
export function redactUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.href;
  } catch {
    return '(unparseable URL)';
  }
}
