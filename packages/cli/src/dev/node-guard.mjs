// Entry of the root package's `npm start` and `npm run edgepass`: plain JavaScript, so that any Node can read
// it. The CLI is TypeScript run by Node's type stripping; an older Node (the system one, when the `node`
// devDependency did not install, e.g. after `npm ci --ignore-scripts`) would fail on bin.ts with an unclear
// error. This prints one line instead and exits 1; otherwise it runs bin.ts with the same arguments.
const version = process.versions.node;
const major = Number(version.split('.')[0]);
// process.features.typescript: Node >= 22.18 / 23.6 ("strip" or "transform"); absent or false otherwise
const stripsTypes = Boolean(process.features?.typescript);

if (major >= 22 && stripsTypes) {
  await import('../bin.ts');
} else {
  process.stderr.write(
    'edgepass needs Node >= 22; run npm ci without --ignore-scripts so the node devDependency installs Node 24 ' +
      `(this is Node ${version}${major >= 22 ? ', without TypeScript type stripping' : ''})\n`,
  );
  process.exitCode = 1;
}
