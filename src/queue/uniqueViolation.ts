/** Prisma's code for a unique constraint violation, on every provider. */
const uniqueViolationCode = 'P2002';

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolationCode;
}
