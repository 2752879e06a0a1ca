/**
 * Which children a restart involves (OTP's strategies):
 * - `one-for-one`: only the failed child;
 * - `one-for-all`: every child;
 * - `rest-for-one`: the failed child and every child started after it;
 * - `simple-one-for-one`: dynamic children of one template, each restarted alone.
 */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one' | 'simple-one-for-one';

/** The children to restart, in start order, when `failed` (one of `children`) needs a restart. */
export function childrenToRestart<T>(strategy: Strategy, children: readonly T[], failed: T): T[] {
  const index = children.indexOf(failed);
  if (index < 0) return [];
  switch (strategy) {
    case 'one-for-one':
    case 'simple-one-for-one':
      return [failed];
    case 'one-for-all':
      return [...children];
    case 'rest-for-one':
      return children.slice(index);
  }
}
