/**
 * The determinism checker: finds calls and imports that would let kernel code read the real
 * clock, real randomness or real I/O instead of going through the injected drivers, timed waits on
 * shared memory included.
 *
 * It is a text scanner, not a parser. Comments are blanked first (keeping every offset, so line
 * and column numbers stay true); string contents are blanked too before looking for calls, so an
 * error message that mentions `setTimeout(` is not a call. Regular-expression literals are not
 * recognised: a regex containing a quote may hide the rest of its line from the scan.
 */

/** One forbidden use found in a source text. */
export interface ForbiddenUse {
  /** 1-based line of the call name or of the module specifier. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** What was found, e.g. `call setTimeout(` or `import 'node:fs'`. */
  readonly what: string;
}

/**
 * Global calls that read wall time, real randomness or arm platform timers. A call is flagged when
 * the name stands alone or hangs off a global object (`globalThis.setTimeout(`), but not when it
 * is part of a longer identifier (`mySetTimeout(`) or a member of something else (`clock.now(`).
 */
const forbiddenCallNames = ['Date.now', 'performance.now', 'Math.random', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask'] as const;

/**
 * Modules that do real I/O. `worker_threads` is deliberately absent: the CPU layer under
 * `actors/cpu` runs its workers through it, behind its own driver boundary.
 */
const forbiddenModule = /^(?:node:)?(?:fs|net|dgram|child_process)(?:\/.*)?$/;

const globalObject = String.raw`(?:globalThis|global|window|self)\s*\.\s*`;

const callPatterns = forbiddenCallNames.map((name) => {
  const dotted = name.split('.').map(escapeRegExp).join(String.raw`\s*\.\s*`);
  const pattern = String.raw`(?:(?<![\w$.])|(?<=(?<![\w$.])${globalObject}))${dotted}\s*(?:\?\.\s*)?\(`;
  return { what: `call ${name}(`, regExp: new RegExp(pattern, 'g') };
});

/** A keyword that names a module, and the quote of its specifier: `from 'x'`, `import 'x'`, `import('x')`, `require('x')`. */
const moduleKeyword = /(?<![\w$.])(?:from|import|require)\s*\(?\s*(['"`])/g;

/**
 * Every module specifier of `source`, with the offset of its first character: those of imports,
 * re-exports, dynamic imports and requires. The keywords are looked for with comments and string
 * contents blanked (a `from '…'` inside a string is text), and each specifier is then read from the
 * source at the quote that follows its keyword.
 *
 * @example
 * ```ts
 * moduleSpecifiers("import { x } from './x.js'; // from './not-this.js'");
 * // [{ specifier: './x.js', index: 19 }]
 * ```
 */
export function moduleSpecifiers(source: string): { readonly specifier: string; readonly index: number }[] {
  const code = maskSource(source, { strings: true });
  const found: { specifier: string; index: number }[] = [];
  for (const match of code.matchAll(moduleKeyword)) {
    const index = match.index + match[0].length;
    const end = source.indexOf(match[1]!, index);
    if (end >= 0) found.push({ specifier: source.slice(index, end), index });
  }
  return found;
}

/**
 * A wait on a shared word with a timeout reads time, so it belongs to the clock driver
 * (`Clock.waitWhile`); an untimed wait is only synchronisation and may stay where it is.
 */
const atomicsWait = /(?<![\w$.])Atomics\s*\.\s*(wait|waitAsync)\s*\(/g;

/** The number of top-level arguments of the call whose `(` is at `open` in masked `code`. */
function argumentCount(code: string, open: number): number {
  let depth = 0;
  let commas = 0;
  let empty = true;
  for (let index = open + 1; index < code.length; index++) {
    const char = code[index]!;
    if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') {
      if (depth === 0) return empty ? 0 : commas + 1;
      depth--;
    } else if (char === ',' && depth === 0) commas++;
    if (char.trim() !== '') empty = false;
  }
  return commas + 1;
}

/**
 * Lists every forbidden call and import in `source`, in source order.
 *
 * @example
 * ```ts
 * findForbiddenUses("const t = Date.now(); // setTimeout( in a comment is fine");
 * // [{ line: 1, column: 11, what: 'call Date.now(' }]
 * ```
 */
export function findForbiddenUses(source: string): ForbiddenUse[] {
  const codeOnly = maskSource(source, { strings: true });
  const found: Array<{ index: number; what: string }> = [];
  for (const { what, regExp } of callPatterns) {
    for (const match of codeOnly.matchAll(regExp)) found.push({ index: match.index, what });
  }
  for (const match of codeOnly.matchAll(atomicsWait)) {
    if (argumentCount(codeOnly, match.index + match[0].length - 1) >= 4) found.push({ index: match.index, what: `timed Atomics.${match[1]!}(` });
  }
  for (const { specifier, index } of moduleSpecifiers(source)) {
    if (forbiddenModule.test(specifier)) found.push({ index, what: `import '${specifier}'` });
  }
  found.sort((a, b) => a.index - b.index);
  const lineStarts = lineStartIndexes(source);
  return found.map(({ index, what }) => ({ ...position(lineStarts, index), what }));
}

/**
 * Replaces comments (and, with `strings: true`, the contents of string and template literals)
 * with spaces. Newlines and the length of the text are kept, so offsets map back to the source.
 * Template substitutions (`${…}`) are code and are kept, including nested templates.
 */
export function maskSource(source: string, options: { readonly strings: boolean }): string {
  const out = source.split('');
  const blank = (index: number): void => {
    if (out[index] !== '\n' && out[index] !== '\r') out[index] = ' ';
  };
  // Open `{` of code, or `${` of a template substitution: on its `}` we return to the template.
  const braces: Array<'code' | 'template'> = [];
  let index = 0;
  let inTemplate = false;
  while (index < source.length) {
    const char = source[index]!;
    const nextChar = source[index + 1];
    if (inTemplate) {
      if (char === '\\') {
        if (options.strings) {
          blank(index);
          blank(index + 1);
        }
        index += 2;
      } else if (char === '`') {
        inTemplate = false;
        index += 1;
      } else if (char === '$' && nextChar === '{') {
        braces.push('template');
        inTemplate = false;
        index += 2;
      } else {
        if (options.strings) blank(index);
        index += 1;
      }
    } else if (char === '/' && nextChar === '/') {
      while (index < source.length && source[index] !== '\n') blank(index++);
    } else if (char === '/' && nextChar === '*') {
      const end = source.indexOf('*/', index + 2);
      const stop = end === -1 ? source.length : end + 2;
      while (index < stop) blank(index++);
    } else if (char === "'" || char === '"') {
      index = skipQuoted(source, index, char, options.strings ? blank : undefined);
    } else if (char === '`') {
      inTemplate = true;
      index += 1;
    } else {
      if (char === '{') braces.push('code');
      if (char === '}' && braces.pop() === 'template') inTemplate = true;
      index += 1;
    }
  }
  return out.join('');
}

/** Skips a '…' or "…" literal starting at `start`; returns the index after it. Ends at a newline if unterminated. */
function skipQuoted(source: string, start: number, quote: string, blank?: (index: number) => void): number {
  let index = start + 1;
  while (index < source.length && source[index] !== quote && source[index] !== '\n') {
    const step = source[index] === '\\' ? 2 : 1;
    for (let offset = 0; offset < step; offset += 1) blank?.(index + offset);
    index += step;
  }
  return index + 1;
}

function lineStartIndexes(source: string): number[] {
  const starts = [0];
  for (let index = 0; index < source.length; index += 1) {
    if (source[index] === '\n') starts.push(index + 1);
  }
  return starts;
}

function position(lineStarts: readonly number[], index: number): { line: number; column: number } {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (lineStarts[middle]! <= index) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: index - lineStarts[low]! + 1 };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
