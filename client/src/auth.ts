/**
 * The API token this tab uses, kept in the tab's session storage (gone when the tab closes, never
 * shared with other tabs or sites). Sent as a Bearer token over HTTP and SSE, and in the
 * graphql-ws connection_init payload.
 */
const storageKey = 'syncbridge.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(storageKey),
  set(value: string) {
    sessionStorage.setItem(storageKey, value.trim());
  },
  clear() {
    sessionStorage.removeItem(storageKey);
  },
};

export function authHeaders(): Record<string, string> {
  const value = token.get();
  return value ? { authorization: `Bearer ${value}` } : {};
}
