/**
 * How credentials are shown wherever a deployment or an upstream URL appears (API answers, the
 * admin UI, log lines, error messages): replaced by {@link MASK}. `os.environ/NAME` references are
 * shown as written, since they name a variable, not its value.
 */
export const MASK = '****';

export const ENV_REF = 'os.environ/';

/** Query parameters whose value is a credential: `api-key`, `key`, `access_token`, `sig`, `code`, … (by the end of the name). */
const CREDENTIAL_QUERY_PARAM = /(key|secret|password|passwd|pwd|credentials?|auth|authorization|token|sig|signature|code)$/i;

/** `scheme://`, the authority (where `user:password@` lives), and the rest. */
const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is;

/** URLs inside free text (messages, log lines), without the punctuation that follows one in a sentence. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]*[^\s"'<>`),.;:!?\]]/gi;

/** `name=value` pairs of a query string or fragment. */
const QUERY_PAIR = /([?&#;])([^=&#;]*)=([^&#;]*)/g;

export function isEnvRef(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENV_REF);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function isCredentialParam(name: string): boolean {
  return CREDENTIAL_QUERY_PARAM.test(decoded(name).trim());
}

/**
 * A URL as it may be shown: its userinfo (`user:password@`) and the values of credential-like
 * query parameters replaced by `****`; everything else as written.
 * `https://u:p@host/v1?api-key=k&v=1` → `https://****@host/v1?api-key=****&v=1`.
 * Anything that is not a URL (`scheme://…`) is shown as `****`.
 */
export function maskUrl(url: string): string {
  const parts = URL_PARTS.exec(url);
  if (!parts) return MASK;
  const [, scheme, authority, rest] = parts;
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : `${MASK}@${authority.slice(at + 1)}`;
  const query = rest.replace(QUERY_PAIR, (pair, sep: string, name: string, value: string) =>
    value && isCredentialParam(name) ? `${sep}${name}=${MASK}` : pair,
  );
  return scheme + host + query;
}

/** Free text with every URL in it passed through {@link maskUrl}. */
export function maskUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => maskUrl(url));
}

/** The credentials a URL carries (userinfo, credential-like query values), raw and decoded; empty when none. */
export function urlCredentials(url: string): string[] {
  const found = new Set<string>();
  const add = (value: string) => {
    if (value) found.add(value).add(decoded(value));
  };
  const parts = URL_PARTS.exec(url);
  const authority = parts?.[2] ?? '';
  const at = authority.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = authority.slice(0, at);
    add(userinfo);
    for (const piece of userinfo.split(':')) add(piece);
  }
  for (const [, , name, value] of (parts?.[3] ?? url).matchAll(QUERY_PAIR)) {
    if (isCredentialParam(name)) add(value);
  }
  return [...found].filter(Boolean);
}

/** A secret setting as it may be shown: an `os.environ/` reference as written, anything else `****`. */
export function maskSecret(value: unknown): string {
  return isEnvRef(value) ? value : MASK;
}

/** A header map as it may be shown: every name kept, every value masked ({@link maskSecret}). */
export function maskHeaders(headers: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, maskSecret(value)]));
}
