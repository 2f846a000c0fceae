import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's prisma/ folder, found from this file so the service can start from any cwd. */
export const prismaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma');
