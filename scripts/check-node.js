// Fails fast, with one line, when a script runs on a Node older than the pinned devDependency.
const [major] = process.versions.node.split('.').map(Number)
if (major < 24) {
  console.error(`parley: Node ${process.versions.node} is too old; run through npm (the pinned node devDependency brings Node 24) or install Node >= 24`)
  process.exit(1)
}
