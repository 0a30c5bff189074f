// The layers of smsq and the direction imports may take between them, checked by `npm run lint`
// (docs/architecture.md, "Layers"). Lower layers never import higher ones:
//
//   src/ (core)  ←  producers/, workers/ (never each other)  ←  cli/, server/ (the CLI may use the server)
//                                                            ←  exports/ (the package's public entries)
//
// Inside the core: src/sms is the Dysmsapi boundary and imports no other part of smsq but the
// logger and the clock; src/receipts may import src/queue, never the reverse; only src/runtime and
// the applications read src/config.ts; the emulator is loaded on demand (sandbox mode) by the rest.
// Type-only imports count: a layer that names a higher layer's types depends on it all the same.

/** @param {string} name @param {string} rule */
const layer = (name, rule) => `layer rule "${name}": ${rule}`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: layer('no-circular', 'modules must not import each other in a cycle; move the shared part down a layer.'),
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-no-higher-layer',
      severity: 'error',
      comment: layer(
        'core-imports-no-higher-layer',
        'src/ is the shared core; it must not import producers/, workers/, cli/, server/ or exports/. Move what both need into src/.',
      ),
      from: { path: '^src/' },
      to: { path: '^(producers|workers|cli|server|exports)/' },
    },
    {
      name: 'producers-do-not-import-workers',
      severity: 'error',
      comment: layer('producers-do-not-import-workers', 'producers/ and workers/ are siblings over the core; what both need belongs in src/.'),
      from: { path: '^producers/' },
      to: { path: '^workers/' },
    },
    {
      name: 'workers-do-not-import-producers',
      severity: 'error',
      comment: layer('workers-do-not-import-producers', 'producers/ and workers/ are siblings over the core; what both need belongs in src/.'),
      from: { path: '^workers/' },
      to: { path: '^producers/' },
    },
    {
      name: 'libraries-import-no-application',
      severity: 'error',
      comment: layer(
        'libraries-import-no-application',
        'producers/ and workers/ are libraries the applications (cli/, server/) are built from; they must not import them or the package entries (exports/).',
      ),
      from: { path: '^(producers|workers)/' },
      to: { path: '^(cli|server|exports)/' },
    },
    {
      name: 'server-does-not-import-cli',
      severity: 'error',
      comment: layer('server-does-not-import-cli', 'the CLI may build the server (smsq server), never the reverse; the server is importable without the CLI.'),
      from: { path: '^server/' },
      to: { path: '^(cli|exports)/' },
    },
    {
      name: 'cli-does-not-import-package-entries',
      severity: 'error',
      comment: layer('cli-does-not-import-package-entries', 'exports/ only re-exports for callers of the package; smsq\'s own code imports the module that defines a thing.'),
      from: { path: '^cli/' },
      to: { path: '^exports/' },
    },
    {
      name: 'queue-does-not-import-receipts',
      severity: 'error',
      comment: layer(
        'queue-does-not-import-receipts',
        'src/receipts is built on src/queue (chunks, keys, jobs), so src/queue must not import src/receipts; move the shared part into src/queue.',
      ),
      from: { path: '^src/queue/' },
      to: { path: '^src/receipts/' },
    },
    {
      name: 'sms-boundary-stands-alone',
      severity: 'error',
      comment: layer(
        'sms-boundary-stands-alone',
        'src/sms is the Dysmsapi boundary under everything else: it imports only src/logger.ts and src/clock.ts of smsq. A client takes SmsClientOptions; Config → options happens in src/runtime.',
      ),
      from: { path: '^src/sms/' },
      to: { path: '^src/', pathNot: '^src/(sms/|logger\\.ts$|clock\\.ts$)' },
    },
    {
      name: 'config-read-at-the-edge',
      severity: 'error',
      comment: layer(
        'config-read-at-the-edge',
        'only src/runtime and the applications (cli/, server/) import src/config.ts; everything else receives typed options.',
      ),
      from: { path: '^(src|producers|workers|exports)/', pathNot: '^src/(config\\.ts$|runtime/)' },
      to: { path: '^src/config\\.ts$' },
    },
    {
      name: 'emulator-stands-alone',
      severity: 'error',
      comment: layer(
        'emulator-stands-alone',
        'src/emulator (smsq/emulator) imports only src/sms, src/logger.ts and src/clock.ts of smsq, so it can run without the queue.',
      ),
      from: { path: '^src/emulator/' },
      to: { path: '^src/', pathNot: '^src/(emulator/|sms/|logger\\.ts$|clock\\.ts$)' },
    },
    {
      name: 'emulator-loaded-on-demand',
      severity: 'error',
      comment: layer(
        'emulator-loaded-on-demand',
        'outside the applications, the emulator is loaded with import() where sandbox mode needs it, so a live process never loads it.',
      ),
      from: { path: '^(src|producers|workers|server)/', pathNot: '^src/emulator/' },
      to: { path: '^src/emulator/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'shipped-code-uses-no-dev-dependency',
      severity: 'error',
      comment: layer(
        'shipped-code-uses-no-dev-dependency',
        'code in the package must not import a devDependency: it is not installed with the package. Move it to dependencies or drop it.',
      ),
      from: { path: '^(src|producers|workers|cli|server|exports)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'imports-resolve',
      severity: 'error',
      comment: layer('imports-resolve', 'every import must resolve to a file or an installed package.'),
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // As Node resolves an ESM import: numfmt 4.0.1 maps 'require' and 'types' to files it does not ship.
      conditionNames: ['import', 'node', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
