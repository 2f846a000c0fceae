/** Prisma's error codes, the same on every provider. */
const uniqueViolationCode = 'P2002';
const recordNotFoundCode = 'P2025';

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolationCode;
}

/** An update or delete whose `where` matched no row. */
export function isRecordNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === recordNotFoundCode;
}
