/**
 * The house's plain measures (issue "the house, renovated"), kept true: no source file over 400
 * lines and no function over 80, outside generated code and the SQL statement modules; the worker
 * under 200 lines; nothing outside src/db reaching into a dialect; the domain importing nothing
 * outside itself (the dashboard imports it); nothing importing upward from the bottom layers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const files = sources('src');
/** Statement modules are SQL with a little TypeScript around it. */
const sqlModules = /\/statements\.ts$/;
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '([^']+)'/gm)].map((match) => match[1]!);

describe('the house', () => {
  it('no source file over 400 lines, no function over 80 (generated code and SQL modules aside)', () => {
    const tooLong: string[] = [];
    for (const file of files.filter((path) => !sqlModules.test(path))) {
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').length;
      if (lines > 400) tooLong.push(`${file}: ${lines} lines`);
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
          const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > 80) tooLong.push(`${file}:${start + 1}: a function of ${end - start + 1} lines`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(tooLong).toEqual([]);
  });

  it('the Worker class is under 200 lines', () => {
    const text = readFileSync('src/queue/worker/worker.ts', 'utf8');
    const source = ts.createSourceFile('worker.ts', text, ts.ScriptTarget.Latest, true);
    const worker = source.statements.find((node): node is ts.ClassDeclaration => ts.isClassDeclaration(node) && node.name?.text === 'Worker')!;
    const lines = source.getLineAndCharacterOfPosition(worker.getEnd()).line - source.getLineAndCharacterOfPosition(worker.getStart()).line + 1;
    expect(lines).toBeLessThan(200);
  });

  it('only src/db reaches into a dialect; the rest sees the ports', () => {
    const offenders = files.filter((file) => !file.startsWith('src/db/')).filter((file) => importsOf(file).some((spec) => /db\/(postgres|sqlite)\/|db\/dialect\.js/.test(spec)));
    expect(offenders).toEqual([]);
  });

  it('the domain imports nothing outside itself; config and domain nothing of the layers above', () => {
    const domainOut = files
      .filter((file) => file.startsWith('src/domain/'))
      .flatMap((file) =>
        importsOf(file)
          .filter((spec) => !spec.startsWith('./'))
          .map((spec) => `${file} → ${spec}`),
      );
    expect(domainOut).toEqual([]);
    const upward = /\/(queue|graphql|server|app|events|integrations|handlers|cli|db)\//;
    const configUp = files
      .filter((file) => file.startsWith('src/config/'))
      .flatMap((file) =>
        importsOf(file)
          .filter((spec) => upward.test(spec))
          .map((spec) => `${file} → ${spec}`),
      );
    expect(configUp).toEqual([]);
  });
});
