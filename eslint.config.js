// Lint rules, including the import boundaries that keep the architecture honest:
// pure modules (codec, FSM, RIB, policy, config diff) import no I/O.
import tseslint from 'typescript-eslint';

const ioModules = [
  'node:fs', 'fs', 'node:fs/promises', 'fs/promises', 'node:net', 'net', 'node:dgram', 'dgram',
  'node:child_process', 'child_process', 'node:os', 'os', 'node:zlib', 'zlib', 'node:http', 'http',
  'node:process', 'process', 'koffi', 'netlink', 'winston', 'seek-bzip',
];
const noIo = {
  'no-restricted-imports': ['error', {
    paths: ioModules.map((name) => ({ name, message: 'pure module: no I/O imports (see README, Design)' })),
    patterns: [
      { group: ['**/daemon/**', '**/mgmt/**', '**/fib/**', '**/cli/**', '**/mrt/**', '**/os/**'],
        message: 'pure module: may not depend on I/O layers' },
    ],
  }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Pure modules. Their I/O edges live in named files: the session's sockets (transport*.ts,
    // socket*.ts) and the config loader (load.ts), which only read and hand text to pure code.
    files: ['src/bgp/wire/**/*.ts', 'src/rib/**/*.ts', 'src/policy/**/*.ts', 'src/bgp/session/**/*.ts', 'src/config/**/*.ts'],
    ignores: ['src/bgp/session/transport*.ts', 'src/bgp/session/socket*.ts', 'src/config/load.ts'],
    rules: noIo,
  },
);
