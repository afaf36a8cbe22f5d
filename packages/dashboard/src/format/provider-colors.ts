/** Series colours readable on both themes; a provider keeps its colour on every chart. */
const palette = ['#3b82f6', '#f97316', '#10b981', '#a855f7', '#ef4444', '#14b8a6', '#eab308', '#ec4899'];

/** The colour of a provider, by its position among all known providers. */
export function providerColor(provider: string, known: readonly string[]): string {
  const index = known.indexOf(provider);
  const position = index === -1 ? known.length + hash(provider) : index;
  return palette[position % palette.length]!;
}

function hash(text: string): number {
  let value = 0;
  for (const character of text) value = (value * 31 + character.charCodeAt(0)) >>> 0;
  return value;
}
