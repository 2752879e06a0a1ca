/**
 * memcached replies made comparable between two servers: what legitimately differs is replaced,
 * the rest kept byte for byte. Cas uniques become `#1`, `#2`… in order of first appearance (so
 * the two sides must use them alike); the seconds a clock decides (mg's `t` and `l`, me's `exp`
 * and `la`) are set apart, to be compared within a second; me's `cls` and `size` (slab internals)
 * are dropped. A reply is walked as lines and data blocks, so that a value's bytes are never taken
 * for a line.
 */

/** A reply made comparable: its text, and the clock-driven numbers it held, in order. */
export interface ReplyShape {
  readonly text: string;
  readonly seconds: readonly number[];
}

/** 1.6.18 prints an item's time left as unsigned: past the end it wraps to about 2^32. */
const wrappedSecondsMin = 2 ** 31;

export function replyShape(bytes: Uint8Array): ReplyShape {
  const text = Buffer.from(bytes).toString('latin1');
  const casNames = new Map<string, string>();
  const seconds: number[] = [];
  const cas = (value: string): string => {
    let name = casNames.get(value);
    if (name === undefined) casNames.set(value, (name = `#${casNames.size + 1}`));
    return name;
  };
  const clock = (value: string): string => {
    const number = Number(value);
    if (number >= wrappedSecondsMin) return '<wrapped>';
    seconds.push(number);
    return '~';
  };
  let shaped = '';
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\r\n', offset);
    if (end < 0) {
      shaped += text.slice(offset);
      break;
    }
    let line = text.slice(offset, end);
    offset = end + 2;
    let dataBytes = -1;
    const value = /^VALUE (\S+) (\d+) (\d+)(?: (\d+))?$/.exec(line);
    if (value !== null) {
      dataBytes = Number(value[3]);
      if (value[4] !== undefined) line = `VALUE ${value[1]} ${value[2]} ${value[3]} ${cas(value[4])}`;
    } else if (/^(VA \d+|HD|EN|NF|NS|EX)( |$)/.test(line)) {
      const tokens = line.split(' ');
      if (tokens[0] === 'VA') dataBytes = Number(tokens[1]);
      line = tokens
        .map((token, index) => {
          if (index === 0 || (tokens[0] === 'VA' && index === 1)) return token;
          if (/^c\d+$/.test(token)) return `c${cas(token.slice(1))}`;
          if (/^[tl]\d+$/.test(token)) return `${token[0]}${clock(token.slice(1))}`;
          return token;
        })
        .join(' ');
    } else if (line.startsWith('ME ')) {
      line = line
        .replace(/ cas=(\d+)/, (_, digits: string) => ` cas=${cas(digits)}`)
        .replace(/ (exp|la)=(-?\d+)/g, (_, name: string, digits: string) => ` ${name}=${clock(digits)}`)
        .replace(/ cls=\d+ size=\d+$/, '');
    }
    shaped += `${line}\r\n`;
    if (dataBytes >= 0) {
      shaped += text.slice(offset, offset + dataBytes + 2);
      offset += dataBytes + 2;
    }
  }
  return { text: shaped, seconds };
}

/**
 * Whether `ours` (a frozen clock) may be what `theirs` (a clock that ticked during the script)
 * said: the same text, and each clock-driven number within one second of theirs.
 */
export function sameShape(ours: ReplyShape, theirs: ReplyShape): boolean {
  if (ours.text !== theirs.text || ours.seconds.length !== theirs.seconds.length) return false;
  return ours.seconds.every((value, index) => Math.abs(value - theirs.seconds[index]!) <= 1);
}
