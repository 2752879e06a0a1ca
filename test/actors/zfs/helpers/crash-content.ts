/** The bytes of file N of the SIGKILL crash test: its length and bytes follow from N alone. */
export function contentOf(n: number): Uint8Array {
  const bytes = new Uint8Array(1 + ((n * 7919) % 20_000));
  for (let i = 0; i < bytes.length; i++) bytes[i] = (n * 31 + i * 17) & 0xff;
  return bytes;
}
