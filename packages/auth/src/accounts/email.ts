// Email addresses: trimmed and NFC-normalised as entered; uniqueness and lookups are case-insensitive
// (users_email_lower_key on lower(email)).

const EMAIL =
  /^[^\s@"<>()\\,;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalizeEmail(raw: string): string {
  return raw.normalize('NFC').trim();
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}
