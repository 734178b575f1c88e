// A real-clock integration keeps Node alive the way Node users can see: Jest's
// --detectOpenHandles names the line of the test's start() for an integration a test forgot
// to stop, and nothing for one that was stopped.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const fixture = path.join(__dirname, 'open-handles', 'forgets-stop.ts');

/** The 1-based line of the fixture that holds `marker`. */
function lineOf(marker: string): number {
  return readFileSync(fixture, 'utf8').split('\n').findIndex((line) => line.includes(marker)) + 1;
}

it('--detectOpenHandles names the start() of the test that forgot stop()', async () => {
  const config = JSON.stringify({
    preset: 'ts-jest',
    testEnvironment: 'node',
    rootDir: root,
    roots: ['<rootDir>/tests/open-handles'],
    testMatch: ['**/forgets-stop.ts'],
  });
  const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  // --forceExit: the forgotten integration would otherwise keep this Jest alive, as it should.
  const output = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      [jest, '--config', config, '--detectOpenHandles', '--forceExit', '--ci'],
      { cwd: root, timeout: 90_000, killSignal: 'SIGKILL' },
      (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)
    );
  });
  expect(output).toMatch(/Tests:\s+2 passed/);
  expect(output).toMatch(/detected the following 1 open handle/);
  expect(output).toMatch(/●\s+Timeout/);
  expect(output).toContain(`forgets-stop.ts:${lineOf('FORGOTTEN-START')}:`);
  expect(output).not.toContain(`forgets-stop.ts:${lineOf('STOPPED-START')}:`);
}, 120_000);
