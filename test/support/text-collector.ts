/** A writable that keeps what is written (for `runCli`'s stdout and stderr, or a logger's destination). */
export function collector(): { write(s: string): void; readonly text: string } {
  let text = '';
  return {
    write: (s: string) => void (text += s),
    get text() {
      return text;
    },
  };
}
