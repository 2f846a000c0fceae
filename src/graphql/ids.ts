/** Job and Attempt ids are record numbers carried as ID strings ("12"). Anything else matches nothing. */
export function parseId(id: string | number): number | undefined {
  const text = String(id).trim();
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 && value <= 2_147_483_647 ? value : undefined;
}
