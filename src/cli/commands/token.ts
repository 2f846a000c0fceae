/** `token create <name> --role …`: a new API token and its digest line. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createToken, roles, type Role } from '../../auth/tokens.js';
import type { Cli } from '../cli.js';

export function register(program: Command, cli: Cli): void {
  program
    .command('token')
    .description('API tokens.')
    .command('create')
    .description('Make a new random token: the token goes to you, its digest line to SYNCBRIDGE_API_TOKENS_FILE (the server never stores the token).')
    .argument('<name>', 'who holds it (letters, digits, . _ @ -): the audit trail names them')
    .addOption(new Option('--role <role>', 'what it may do').choices([...roles]).default('viewer'))
    .action((name: string, options: { role: Role }) => {
      let created: ReturnType<typeof createToken>;
      try {
        created = createToken(name, options.role);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      cli.print({ name, role: options.role, token: created.token, fileLine: created.fileLine }, () =>
        [`token (give it to ${name}; it is shown once): ${created.token}`, `line for SYNCBRIDGE_API_TOKENS_FILE: ${created.fileLine}`].join('\n'),
      );
    });
}
