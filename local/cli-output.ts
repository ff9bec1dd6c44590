/**
 * Sends everything a handler writes to stdout (Powertools logs, EMF) to stderr, so stdout holds
 * only the command's result, as `sam local invoke` does. Returns the writer for the result.
 */
export function stdoutForResultOnly(): (text: string) => void {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr);
  return (text: string) => void write(text);
}
